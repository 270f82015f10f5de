package lwm.cli;

/** One {@code ./lwm <name>} subcommand. */
public interface Command {
    String name();

    /** One line for {@code ./lwm --help}. */
    String summary();

    /** Runs the command; returns the process exit code. Throw {@link UsageError} for user mistakes. */
    int run(Args args) throws Exception;
}
