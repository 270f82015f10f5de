package lwm.ring;

/** The program every rank runs; started by {@link RankMain} (MPJ ranks) or {@link LocalWorld#run} (threads). */
@FunctionalInterface
public interface RankTask {
    void run(Communicator world, String[] args) throws Exception;
}
