package semaim.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import semaim.torch.Nn;
import semaim.torch.Tensors;

/**
 * A module's parameters and buffers by their dotted names (PyTorch's {@code state_dict}), saved to and loaded from
 * safetensors. Loading copies values into the existing tensors (names, shapes and dtypes must match) and reports
 * what the file lacked and what it had in excess.
 */
public final class ModelWeights {
    private ModelWeights() {}

    /** What a load found. */
    public record LoadReport(List<String> loaded, List<String> missing, List<String> unexpected) {
        public boolean complete() {
            return missing.isEmpty();
        }
    }

    /** Parameters then buffers, by name, in registration order. */
    public static Map<String, Tensor> stateDict(Module module) {
        Map<String, Tensor> out = new LinkedHashMap<>(Nn.namedParameters(module));
        out.putAll(Nn.namedBuffers(module));
        return out;
    }

    /** Saves the module's state dict with the given metadata (provenance). */
    public static void save(Module module, Path file, Map<String, String> metadata) throws IOException {
        SafeTensors.write(file, stateDict(module), metadata);
    }

    /**
     * Loads {@code tensors} into {@code module}. With {@code strict}, a missing name is an error; a name the
     * module does not have is always only reported. A shape or dtype mismatch is always an error.
     */
    public static LoadReport load(Module module, Map<String, Tensor> tensors, boolean strict, String source) {
        Map<String, Tensor> own = stateDict(module);
        List<String> loaded = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor src = tensors.get(e.getKey());
            if (src == null) {
                missing.add(e.getKey());
                continue;
            }
            Tensor dst = e.getValue();
            if (!Arrays.equals(Tensors.shape(src), Tensors.shape(dst))) {
                throw new IllegalArgumentException(source + ": '" + e.getKey() + "' has shape "
                        + Arrays.toString(Tensors.shape(src)) + " but the model expects "
                        + Arrays.toString(Tensors.shape(dst)));
            }
            if (Tensors.scalarType(src) != Tensors.scalarType(dst)) {
                throw new IllegalArgumentException(source + ": '" + e.getKey() + "' has dtype "
                        + SafeTensors.Dtype.of(Tensors.scalarType(src)) + " but the model expects "
                        + SafeTensors.Dtype.of(Tensors.scalarType(dst)));
            }
            Tensors.assign(dst, src.to(dst.device(), dst.scalar_type()));
            loaded.add(e.getKey());
        }
        List<String> unexpected = new ArrayList<>();
        for (String k : tensors.keySet()) {
            if (!own.containsKey(k)) {
                unexpected.add(k);
            }
        }
        if (strict && !missing.isEmpty()) {
            throw new IllegalArgumentException(source + ": missing " + missing.size() + " tensor(s) the model needs: "
                    + String.join(", ", missing.subList(0, Math.min(10, missing.size())))
                    + (missing.size() > 10 ? ", ..." : ""));
        }
        return new LoadReport(loaded, missing, unexpected);
    }

    /** Reads a safetensors file and loads it into {@code module} (see {@link #load(Module, Map, boolean, String)}). */
    public static LoadReport load(Module module, Path file, boolean strict) throws IOException {
        return load(module, SafeTensors.read(file).tensors(), strict, file.toString());
    }
}
