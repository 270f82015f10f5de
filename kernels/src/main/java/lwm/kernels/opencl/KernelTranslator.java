package lwm.kernels.opencl;

import com.aparapi.Kernel;
import com.aparapi.internal.model.ClassModel;
import com.aparapi.internal.writer.KernelWriter;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Java kernel class to OpenCL C, using Aparapi's bytecode-to-OpenCL code generator only (not its
 * runtime), then three source fix-ups: the bf16/f16 helpers become bit casts, loops with a literal trip
 * count are marked {@code #pragma unroll} (so register tiles in private arrays stay in registers) and the
 * kernel's parameter list is read back so {@link ClProgram} can bind arguments by field name.
 */
public final class KernelTranslator {
    private KernelTranslator() {}

    /** Aparapi logs every class it parses at WARNING; held here so the level sticks. */
    private static final Logger APARAPI_LOG = Logger.getLogger("com.aparapi");

    public enum Kind { GLOBAL, LOCAL, SCALAR }

    /** One kernel parameter: a Java field of the kernel class. */
    public record Param(String name, Kind kind, String clType, long localBytes) {}

    public record Source(String kernelName, String code, List<Param> params) {}

    private static final Pattern SIGNATURE = Pattern.compile("__kernel void run\\((.*?)\\)\\{", Pattern.DOTALL);
    private static final Pattern HELPER = Pattern.compile(
            "(float \\w+__(bf16ToF32|f16ToF32)\\(This \\*this, int (\\w+)\\)\\{)(.*?)\\n\\}", Pattern.DOTALL);
    private static final Pattern CONST_LOOP = Pattern.compile("(?m)^(\\s*)(for \\(int \\w+ = 0; \\w+<(\\d+); \\w+\\+\\+\\)\\{)");

    public static Source translate(Class<? extends Kernel> kernelClass) {
        Kernel prototype;
        String code;
        try {
            // Aparapi's Config sets its own log level when its classes load, so set ours after that
            if (System.getProperty("com.aparapi.logLevel") == null) System.setProperty("com.aparapi.logLevel", "SEVERE");
            prototype = kernelClass.getDeclaredConstructor().newInstance();
            APARAPI_LOG.setLevel(Level.SEVERE);
            ClassModel model = ClassModel.createClassModel(kernelClass);
            code = KernelWriter.writeToString(model.getEntrypoint("run", prototype));
        } catch (Exception | LinkageError e) {
            throw new OpenClException("cannot translate kernel " + kernelClass.getSimpleName() + " to OpenCL: " + e, e);
        }
        code = fixHelpers(code);
        code = CONST_LOOP.matcher(code).replaceAll(m -> Integer.parseInt(m.group(3)) <= 64
                ? Matcher.quoteReplacement(m.group(1) + "#pragma unroll\n" + m.group(1) + m.group(2))
                : Matcher.quoteReplacement(m.group(0)));
        List<Param> params = params(kernelClass, prototype, code);
        if (kernelClass.isAnnotationPresent(StaticLocals.class)) {
            code = staticLocals(code, params, kernelClass.getAnnotation(StaticLocals.class).privateArrays());
            params = params.stream().filter(p -> p.kind() != Kind.LOCAL).toList();
        }
        if (kernelClass.isAnnotationPresent(VectorLocalReads.class)) code = vectorLocalReads(kernelClass, code);
        return new Source(kernelClass.getSimpleName(), code, params);
    }

    private static final Pattern PRIVATE_ARRAY = Pattern.compile("(?m)^\\s+(float|int|short) (\\w+)\\[(\\d+)\\];$");
    private static final Pattern THIS_FIELD = Pattern.compile("this->(\\w+)");

    /**
     * Moves every __local pointer parameter into a fixed-size __local array declared at kernel scope, declares
     * the private arrays there too (instead of inside Aparapi's {@code This} struct), and makes the kernel body
     * use parameters and arrays directly rather than through {@code this->}: plain kernel-scope arrays with
     * constant indices are what OpenCL compilers reliably keep in registers.
     */
    private static String staticLocals(String code, List<Param> params, boolean privateArrays) {
        Matcher m = SIGNATURE.matcher(code);
        if (!m.find()) throw new OpenClException("no run() signature");
        StringBuilder sig = new StringBuilder("__kernel void run(");
        StringBuilder decls = new StringBuilder();
        String sep = "\n   ";
        for (Param p : params) {
            if (p.kind() == Kind.LOCAL) {
                long elems = p.localBytes() / (p.clType().equals("short") ? 2 : 4);
                // 16-byte aligned so that VectorLocalReads' 128-bit reads at multiples of 4 floats are aligned
                decls.append("\n   __local ").append(p.clType()).append(' ').append(p.name()).append('[').append(elems)
                        .append("] __attribute__((aligned(16)));");
            } else {
                sig.append(sep).append(p.kind() == Kind.GLOBAL ? "__global " + p.clType() + " *" : p.clType() + " ").append(p.name());
                sep = ", \n   ";
            }
        }
        if (!privateArrays) {
            sig.append("\n){").append(decls);
            return code.substring(0, m.start()) + sig + code.substring(m.end());
        }
        int structEnd = code.indexOf("}This;");
        Matcher pa = PRIVATE_ARRAY.matcher(code.substring(0, Math.max(0, structEnd)));
        while (pa.find()) decls.append("\n   ").append(pa.group(1)).append(' ').append(pa.group(2)).append('[').append(pa.group(3)).append("];");
        sig.append("\n){").append(decls);
        // the struct stays filled (helper functions take it), the kernel body after the copies reads directly
        String rest = code.substring(m.end());
        int copies = rest.indexOf("this->passid = passid;");
        if (copies < 0) throw new OpenClException("unexpected kernel prologue");
        copies += "this->passid = passid;".length();
        return code.substring(0, m.start()) + sig + rest.substring(0, copies) + THIS_FIELD.matcher(rest.substring(copies)).replaceAll("$1");
    }

    private static final Pattern LOCAL_DECL = Pattern.compile("__local float (\\w+)\\[\\d+\\] __attribute__\\(\\(aligned\\(16\\)\\)\\);");
    private static final Pattern FOUR_LOOP = Pattern.compile(
            "(?m)^(\\s*)#pragma unroll\n\\s*for \\(int (\\w+) = 0; \\2<4; \\2\\+\\+\\)\\{\n((?:[^\n{}]*\n)+?)\\s*\\}\n");
    private static final Pattern READ4 = Pattern.compile("^\\s*(\\w+)\\[(?:(\\d+) \\+ )?(\\w+)\\]  = (\\w+)\\[\\((.+) \\+ (\\w+)\\)\\];$");

    /**
     * The {@link VectorLocalReads} rewrite: each four-trip loop whose body is only {@code r[c + i] = loc[(base + i)]}
     * reads of kernel-scope local float arrays becomes one {@code float4} read per statement. Loops of any other
     * shape stay as they are; an annotated kernel without one such loop is an error (the mark would be dead).
     */
    static String vectorLocalReads(Class<?> cls, String code) {
        java.util.Set<String> locals = new java.util.HashSet<>();
        Matcher d = LOCAL_DECL.matcher(code);
        while (d.find()) locals.add(d.group(1));
        if (locals.isEmpty()) throw new OpenClException(cls.getSimpleName() + ": @VectorLocalReads needs @StaticLocals float @Local arrays");
        Matcher m = FOUR_LOOP.matcher(code);
        StringBuilder sb = new StringBuilder();
        int rewritten = 0;
        while (m.find()) {
            String ind = m.group(1), var = m.group(2);
            StringBuilder out = new StringBuilder(ind + "{\n");
            boolean ok = true;
            int v = 0;
            for (String stmt : m.group(3).split("\n")) {
                Matcher r = READ4.matcher(stmt);
                if (!r.matches() || !r.group(3).equals(var) || !r.group(6).equals(var) || !locals.contains(r.group(4))) {
                    ok = false;
                    break;
                }
                int c = r.group(2) == null ? 0 : Integer.parseInt(r.group(2));
                String tmp = "lv" + rewritten + "_" + v++;
                out.append(ind).append("   float4 ").append(tmp).append(" = *((__local const float4 *)&").append(r.group(4)).append('[')
                        .append(r.group(5)).append("]);\n");
                String[] lane = {"x", "y", "z", "w"};
                for (int i = 0; i < 4; i++)
                    out.append(ind).append("   ").append(r.group(1)).append('[').append(c + i).append("] = ").append(tmp).append('.').append(lane[i]).append(";\n");
            }
            out.append(ind).append("}\n");
            if (ok) rewritten++;
            m.appendReplacement(sb, Matcher.quoteReplacement(ok ? out.toString() : m.group(0)));
        }
        m.appendTail(sb);
        if (rewritten == 0) throw new OpenClException(cls.getSimpleName() + ": @VectorLocalReads found no four-wide local read loop to rewrite");
        return sb.toString();
    }

    private static String fixHelpers(String code) {
        Matcher m = HELPER.matcher(code);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String bits = m.group(3);
            String body = m.group(2).equals("bf16ToF32")
                    ? "\n   return as_float(" + bits + " << 16);\n}"
                    : "\n   ushort h = (ushort)" + bits + ";\n   return vload_half(0, (const __private half *)&h);\n}";
            m.appendReplacement(sb, Matcher.quoteReplacement(m.group(1) + body));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static List<Param> params(Class<?> cls, Kernel prototype, String code) {
        Matcher m = SIGNATURE.matcher(code);
        if (!m.find()) throw new OpenClException("translated kernel " + cls.getSimpleName() + " has no run() signature");
        List<Param> out = new ArrayList<>();
        for (String raw : m.group(1).split(",")) {
            String p = raw.trim();
            String name = p.substring(p.lastIndexOf(p.contains("*") ? '*' : ' ') + 1).trim();
            if (p.startsWith("__global")) out.add(new Param(name, Kind.GLOBAL, p.substring(8, p.indexOf('*')).trim(), 0));
            else if (p.startsWith("__local")) out.add(new Param(name, Kind.LOCAL, p.substring(7, p.indexOf('*')).trim(), localBytes(cls, prototype, name)));
            else out.add(new Param(name, Kind.SCALAR, p.substring(0, p.lastIndexOf(' ')).trim(), 0));
        }
        return out;
    }

    private static long localBytes(Class<?> cls, Object prototype, String field) {
        for (Class<?> c = cls; c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(field);
                f.setAccessible(true);
                Object v = f.get(prototype);
                if (v instanceof float[] a) return a.length * 4L;
                if (v instanceof int[] a) return a.length * 4L;
                if (v instanceof short[] a) return a.length * 2L;
                throw new OpenClException(cls.getSimpleName() + "." + field + ": @Local field must be an initialised float/int/short array");
            } catch (NoSuchFieldException e) {
                // look in the superclass
            } catch (IllegalAccessException e) {
                throw new OpenClException(cls.getSimpleName() + "." + field + ": " + e.getMessage(), e);
            }
        }
        throw new OpenClException(cls.getSimpleName() + ": no field for local parameter " + field);
    }
}
