package io.mysqlproxy.protocol;

/** A growable ring of command bytes, so that tracking pipelined commands allocates nothing per command. */
final class CommandQueue {
    private int[] items = new int[8];
    private int head;
    private int size;

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    void add(int command) {
        if (size == items.length) {
            int[] bigger = new int[items.length * 2];
            for (int i = 0; i < size; i++) {
                bigger[i] = items[(head + i) % items.length];
            }
            items = bigger;
            head = 0;
        }
        items[(head + size) % items.length] = command;
        size++;
    }

    int peek() {
        return items[head];
    }

    int poll() {
        int command = items[head];
        head = (head + 1) % items.length;
        size--;
        return command;
    }
}
