package io.mysqlproxy.testing;

import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.ErrorCodes;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real MariaDB server made to look like one from before COM_RESET_CONNECTION (MySQL 5.6, MariaDB 10.1): a relay
 * in front of it that answers that command with error 1047 "Unknown command", as such servers do, and passes
 * everything else through.
 */
public final class ResetlessServer implements AutoCloseable {
    private final ServerSocket listener;
    private final MariaDbServer server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    public ResetlessServer(MariaDbServer server) throws IOException {
        this.server = server;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::accept, "resetless-accept");
        accept.setDaemon(true);
        accept.start();
    }

    public String address() {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket backend = new Socket();
                backend.connect(new InetSocketAddress("127.0.0.1", server.port()), 2_000);
                sockets.add(client);
                sockets.add(backend);
                OutputStream toClient = client.getOutputStream();
                InputStream fromServer = backend.getInputStream();
                start(() -> pipe(fromServer, toClient, client, backend));
                start(() -> commands(client, toClient, backend));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private static void start(Runnable body) {
        Thread t = new Thread(body, "resetless-relay");
        t.setDaemon(true);
        t.start();
    }

    /** Client to server, packet by packet: COM_RESET_CONNECTION is answered here. */
    private static void commands(Socket client, OutputStream toClient, Socket backend) {
        try {
            DataInputStream in = new DataInputStream(client.getInputStream());
            OutputStream toServer = backend.getOutputStream();
            byte[] header = new byte[4];
            while (true) {
                in.readFully(header);
                int length = (header[0] & 0xFF) | (header[1] & 0xFF) << 8 | (header[2] & 0xFF) << 16;
                byte[] payload = new byte[length];
                in.readFully(payload);
                if (length == 1 && header[3] == 0 && (payload[0] & 0xFF) == Commands.COM_RESET_CONNECTION) {
                    synchronized (toClient) {
                        toClient.write(unknownCommand());
                        toClient.flush();
                    }
                    continue;
                }
                toServer.write(header);
                toServer.write(payload);
                toServer.flush();
            }
        } catch (IOException e) {
            close(client, backend);
        }
    }

    private static byte[] unknownCommand() {
        byte[] message = "Unknown command".getBytes(StandardCharsets.US_ASCII);
        int length = 1 + 2 + 6 + message.length;
        byte[] packet = new byte[4 + length];
        packet[0] = (byte) length;
        packet[3] = 1;
        packet[4] = (byte) 0xFF;
        packet[5] = (byte) (ErrorCodes.UNKNOWN_COMMAND & 0xFF);
        packet[6] = (byte) (ErrorCodes.UNKNOWN_COMMAND >> 8);
        System.arraycopy("#08S01".getBytes(StandardCharsets.US_ASCII), 0, packet, 7, 6);
        System.arraycopy(message, 0, packet, 13, message.length);
        return packet;
    }

    private static void pipe(InputStream from, OutputStream to, Socket a, Socket b) {
        byte[] buf = new byte[16384];
        try {
            int n;
            while ((n = from.read(buf)) >= 0) {
                synchronized (to) {
                    to.write(buf, 0, n);
                    to.flush();
                }
            }
        } catch (IOException e) {
            // closed
        }
        close(a, b);
    }

    private static void close(Socket a, Socket b) {
        try {
            a.close();
            b.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
