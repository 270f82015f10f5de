package lwm.ring;

import lwm.model.data.PackedRow;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Runs in every MPJ rank: trains the tiny model over the world (args: seed sp ulysses layout) and checks
 * the loss curve against a one-rank run computed in the same JVM; prints the host's addresses so a
 * multi-host test can see where each rank ran.
 */
public final class MpjTrainCheck implements RankTask {
    @Override
    public void run(Communicator world, String[] a) throws Exception {
        long seed = Long.parseLong(a[0]);
        int sp = Integer.parseInt(a[1]), ulysses = Integer.parseInt(a[2]);
        SequenceLayout.Kind kind = SequenceLayout.Kind.parse(a[3]);
        List<List<PackedRow>> data = DistributedTrainingTest.data(seed);
        double[] ref = DistributedTrainingTest.singleRank(seed, data);
        double[] got = DistributedTrainingTest.distributed(world, seed, data, sp, ulysses, kind);
        for (int s = 0; s < ref.length; s++)
            if (!(Math.abs(ref[s] - got[s]) <= 1e-4 * Math.max(1, Math.abs(ref[s]))))
                throw new AssertionError("step " + s + ": loss " + got[s] + " on " + world.size() + " ranks vs " + ref[s] + " on one");
        List<String> addrs = new ArrayList<>();
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces()))
            for (InetAddress ad : Collections.list(ni.getInetAddresses()))
                if (!ad.isLoopbackAddress() && ad.getAddress().length == 4) addrs.add(ad.getHostAddress());
        System.out.println("rank " + world.rank() + " ok train losses " + java.util.Arrays.toString(got) + " host " + addrs);
    }
}
