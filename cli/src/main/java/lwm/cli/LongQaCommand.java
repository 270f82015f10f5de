package lwm.cli;

/** {@code ./lwm data qa}: arrives with the tokenizer and inference engine. */
final class LongQaCommand {
    private LongQaCommand() {}

    static int run(Args args) {
        throw new UsageError("data qa needs the tokenizer module, which this build does not have yet");
    }
}
