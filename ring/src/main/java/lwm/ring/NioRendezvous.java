package lwm.ring;

import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * The port exchange that MPJ Express's niodev performs at {@code MPI.Init}: every rank connects to a
 * server, sends {@code writeUTF("Sending Info")} and its write port, read port and rank, and gets back
 * {@code "#Peer Information;ip@rport@wport@rank@0;..."} sorted by rank. mpjrun normally plays the
 * server; this class lets the lwm launcher (or rank 0 under mpirun) play it instead, so no daemon,
 * ssh or fixed port is needed. The ip is the address the rank connected from, which is what makes
 * ranks in other hosts or network namespaces reachable.
 */
final class NioRendezvous implements Closeable {
    private final ServerSocket server;
    private final int size;
    private final Thread thread;
    private volatile Exception error;

    NioRendezvous(InetAddress bind, int port, int size) throws IOException {
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(bind, port), 64);
        this.size = size;
        this.thread = Thread.ofPlatform().daemon().name("niodev-rendezvous").start(this::serve);
    }

    int port() { return server.getLocalPort(); }

    /** The configuration line niodev's MPI.Init expects as its second argument. */
    static String confLine(int size, String host, int port) {
        return "#temp line;#Number of Processes;" + size + ";#Protocol Switch Limit;131072;;#Server Name;" + host + ";#Server Port;" + port;
    }

    private void serve() {
        record Peer(Socket s, String ip, int wport, int rport, int rank) {}
        Peer[] peers = new Peer[size];
        List<Socket> open = new ArrayList<>();
        try {
            int have = 0;
            while (have < size) {
                Socket s = server.accept();
                DataInputStream in = new DataInputStream(s.getInputStream());
                String hello;
                try {
                    hello = in.readUTF();
                } catch (EOFException probe) {   // a readiness probe connects and closes at once
                    s.close();
                    continue;
                }
                if (!"Sending Info".equals(hello)) { s.close(); continue; }
                int wport = in.readInt(), rport = in.readInt(), rank = in.readInt();
                if (rank < 0 || rank >= size || peers[rank] != null) throw new IOException("bad or duplicate rank " + rank + " at the niodev rendezvous");
                peers[rank] = new Peer(s, s.getInetAddress().getHostAddress(), wport, rport, rank);
                open.add(s);
                have++;
            }
            StringBuilder sb = new StringBuilder("#Peer Information");
            for (Peer p : peers) sb.append(';').append(p.ip).append('@').append(p.rport).append('@').append(p.wport).append('@').append(p.rank).append("@0");
            for (Peer p : peers) {
                DataOutputStream out = new DataOutputStream(p.s.getOutputStream());
                out.writeUTF(sb.toString());
                out.flush();
            }
        } catch (Exception e) {
            if (!server.isClosed()) error = e;
        } finally {
            for (Socket s : open) try { s.close(); } catch (IOException ignored) {}
        }
    }

    Exception error() { return error; }

    @Override public void close() throws IOException {
        server.close();
    }
}
