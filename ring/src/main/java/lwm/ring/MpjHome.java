package lwm.ring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * A private MPJ_HOME under {@code ~/.cache/lwm/mpj-0.44}: Debian's libmpj-java ships jars whose
 * manifests name log4j and commons jars that are not next to them (so {@code mpjrun} and
 * {@code MPI.Init} fail with NoClassDefFoundError). Here the MPJ jars are copied (the JVM resolves
 * symlinks before reading Class-Path, so links would not help) and the missing jars are linked next to
 * them; {@code conf/} holds MPJ's config, which MPI.Init reads from MPJ_HOME. Built once, atomically.
 */
public final class MpjHome {
    public static final Path DEBIAN_LIB = Path.of("/usr/share/mpj/lib");
    private static final String VERSION = "0.44";
    private static final List<String> SUPPORT = List.of("log4j-1.2", "commons-cli", "commons-codec", "commons-io");

    private MpjHome() {}

    /** The MPJ_HOME directory, created if needed. */
    public static synchronized Path ensure() {
        Path home = Path.of(System.getProperty("user.home"), ".cache", "lwm", "mpj-" + VERSION);
        if (Files.isRegularFile(home.resolve("lib/mpj.jar")) && Files.exists(home.resolve("lib/log4j-1.2.jar"))) return home;
        if (!Files.isRegularFile(DEBIAN_LIB.resolve("mpj-" + VERSION + ".jar")))
            throw new IllegalStateException("MPJ Express not installed: " + DEBIAN_LIB + "/mpj-" + VERSION + ".jar missing (apt-get install libmpj-java)");
        try {
            Files.createDirectories(home.getParent());
            Path tmp = Files.createTempDirectory(home.getParent(), "mpj-build-");
            Path lib = Files.createDirectories(tmp.resolve("lib")), conf = Files.createDirectories(tmp.resolve("conf"));
            try (Stream<Path> jars = Files.list(DEBIAN_LIB)) {
                for (Path j : jars.filter(p -> p.getFileName().toString().endsWith("-" + VERSION + ".jar")).toList()) {
                    String name = j.getFileName().toString().replace("-" + VERSION + ".jar", ".jar");
                    Files.copy(j, lib.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            for (String s : SUPPORT) {
                Path src = Path.of("/usr/share/java", s + ".jar");
                if (!Files.exists(src)) throw new IllegalStateException(src + " missing (apt-get install liblog4j1.2-java libcommons-cli-java libcommons-codec-java libcommons-io-java)");
                Files.createSymbolicLink(lib.resolve(s + ".jar"), src);
            }
            try (Stream<Path> confs = Files.list(Path.of("/etc/mpj"))) {
                for (Path c : confs.toList()) Files.copy(c, conf.resolve(c.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
            try {
                Files.move(tmp, home, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                // another process built it first; keep theirs
                deleteTree(tmp);
                if (!Files.isRegularFile(home.resolve("lib/mpj.jar"))) throw raced;
            }
            return home;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build MPJ_HOME at " + home + ": " + e.getMessage(), e);
        }
    }

    /** Jars a rank JVM needs besides the application: MPJ itself and log4j (MPI.Init creates a logger). */
    public static List<Path> rankJars() {
        Path home = ensure();
        return List.of(home.resolve("lib/mpj.jar"), home.resolve("lib/log4j-1.2.jar"));
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }
}
