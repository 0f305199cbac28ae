package io.mysqlproxy.core;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Renumbering a login exchange whose two sides the proxy numbered apart. */
class SequenceMappingTest {
    @Test
    void aTlsRequestToTheBackendPutsItOneAheadOfTheClient() {
        SequenceMapping seqs = new SequenceMapping();
        seqs.align(1, 2); // the client's login (1) follows the proxy's own SSL request (1) to the backend
        assertThat(seqs.toServer(3)).isEqualTo(4); // the client's answer to an auth switch
        assertThat(seqs.toClient(3)).isEqualTo(2); // the backend's auth switch request
        assertThat(seqs.toClient(5)).isEqualTo(4); // its OK
    }

    @Test
    void aChangeUserStartsTheBackendsCountAtZero() {
        SequenceMapping seqs = new SequenceMapping();
        seqs.align(1, 0); // the client's login (1) becomes COM_CHANGE_USER (0) on a pooled connection
        assertThat(seqs.toClient(1)).isEqualTo(2); // the server's OK
        assertThat(seqs.toServer(3)).isEqualTo(2);
    }

    @Test
    void unalignedItRelaysNumbersAsTheyAre() {
        SequenceMapping seqs = new SequenceMapping();
        assertThat(seqs.toServer(7)).isEqualTo(7);
        assertThat(seqs.toClient(7)).isEqualTo(7);
    }
}
