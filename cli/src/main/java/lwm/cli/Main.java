package lwm.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Entry point of {@code ./lwm}: dispatches to a subcommand, turns user mistakes into one-line errors. */
public final class Main {
    private Main() {}

    static Map<String, Command> commands() {
        Map<String, Command> m = new LinkedHashMap<>();
        for (Command c : List.<Command>of(
                new DevicesCommand(),
                new BenchCommand(),
                new TrainCommand(),
                new DataCommand(),
                new TokenizeCommand(),
                new GenerateCommand(),
                new ChatCommand(),
                new LogitsCommand(),
                new InitCommand(),
                new TokenizerImportLlama2Command(),
                new DemoCommand(),
                new NiahCommand()
        )) m.put(c.name(), c);
        return m;
    }

    public static void main(String[] argv) {
        System.exit(run(argv));
    }

    static int run(String[] argv) {
        Map<String, Command> cmds = commands();
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            System.out.println("usage: ./lwm <command> [options]\n\ncommands:");
            int width = cmds.keySet().stream().mapToInt(String::length).max().orElse(0);
            cmds.values().forEach(c -> System.out.printf("  %-" + width + "s  %s%n", c.name(), c.summary()));
            System.out.printf("  %-" + width + "s  %s%n", "test", "run every test (installs the system packages it needs)");
            System.out.println("\n./lwm <command> --help shows a command's options.");
            return 0;
        }
        Command c = cmds.get(argv[0]);
        if (c == null) {
            System.err.println("lwm: unknown command '" + argv[0] + "' (./lwm --help lists them)");
            return 2;
        }
        try {
            return c.run(new Args(argv, 1));
        } catch (UsageError | IllegalArgumentException e) {
            System.err.println("lwm " + c.name() + ": " + e.getMessage());
            return 2;
        } catch (lwm.kernels.opencl.OpenClException e) {
            // no such device, no OpenCL runtime, a kernel the device cannot compile: one line, no fallback
            System.err.println("lwm " + c.name() + ": " + e.getMessage().lines().findFirst().orElse("OpenCL error"));
            return 2;
        } catch (Exception e) {
            System.err.println("lwm " + c.name() + ": internal error: " + e);
            e.printStackTrace();
            return 1;
        }
    }
}
