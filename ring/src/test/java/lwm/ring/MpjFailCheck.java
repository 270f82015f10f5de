package lwm.ring;

/** A rank task that fails on purpose: args victim mode(throw|halt|hang). The others sit in collectives. */
public final class MpjFailCheck implements RankTask {
    @Override
    public void run(Communicator world, String[] a) throws Exception {
        int victim = Integer.parseInt(a[0]);
        world.barrier();
        if (world.rank() == victim) {
            switch (a[1]) {
                case "throw" -> throw new IllegalStateException("deliberate failure in rank " + victim);
                case "halt" -> Runtime.getRuntime().halt(137);   // like kill -9: no goodbye
                case "hang" -> Thread.sleep(3_600_000);
                default -> throw new IllegalArgumentException(a[1]);
            }
        }
        float[] x = new float[64];
        world.allReduceSum(x, 0, x.length);
        System.out.println("rank " + world.rank() + " finished (should not happen)");
    }
}
