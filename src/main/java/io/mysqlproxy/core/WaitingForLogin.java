package io.mysqlproxy.core;

/**
 * A client accepted while its listener runs as many logins as it may ({@link LoginGate}): it waits, not yet greeted,
 * for a login to end. It has no backend connection; a client sends nothing before the greeting, so what it sends is
 * dropped. Leaving, or the session ending, gives up its place in the queue.
 */
final class WaitingForLogin extends SessionPhase.Dropping {
    private final LoginGate.Waiter waiter;

    WaitingForLogin(LoginGate.Waiter waiter) {
        this.waiter = waiter;
    }

    @Override
    public void clientLeft() {
        waiter.cancel();
    }

    @Override
    public void release() {
        waiter.cancel();
    }
}
