package io.mysqlproxy.core;

import io.netty.buffer.ByteBuf;

/** Statements of the proxy's own on a held backend connection: the server's answers go to it, never to the client. */
interface ProxyExchange {
    /** The server's bytes. */
    void read(ByteBuf buf);

    /** Lets go of what it holds; true the first time. */
    boolean end();

    /** The connection closed before the exchange was over (it has been ended). */
    void connectionLost();
}
