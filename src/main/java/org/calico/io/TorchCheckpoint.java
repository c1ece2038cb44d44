package org.calico.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.ByteVector;
import org.bytedeco.pytorch.GenericDict;
import org.bytedeco.pytorch.GenericDictIterator;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.calico.runtime.CalicoRuntime;

/**
 * Reads PyTorch zip checkpoints ({@code torch.save}) through LibTorch's {@code pickle_load}. Supported: a plain
 * {@code dict} of name to tensor (e.g. {@code torch.save(dict(model.state_dict()), f)}), optionally nested one
 * level under {@code "state_dict"} / {@code "model"}. LibTorch cannot rebuild Python classes, so a checkpoint saved
 * as an {@code OrderedDict} ({@code torch.save(model.state_dict(), f)}) is refused with an explanation and the fix.
 */
public final class TorchCheckpoint {
    private TorchCheckpoint() {}

    public static StateDict read(Path path) {
        CalicoRuntime.init();
        byte[] bytes;
        try {
            long size = Files.size(path);
            if (size > Integer.MAX_VALUE - 16)
                throw new CheckpointException(path + ": torch checkpoint of " + size
                        + " bytes is above the 2 GB that pickle_load can take in one buffer; convert it to safetensors "
                        + "(python: safetensors.torch.save_file(sd, 'model.safetensors'))");
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new CheckpointException("checkpoint not found: " + path);
        } catch (IOException e) {
            throw new CheckpointException("cannot read checkpoint " + path + ": " + e.getMessage(), e);
        }
        if (bytes.length < 4 || bytes[0] != 'P' || bytes[1] != 'K')
            throw new CheckpointException(path + ": not a torch zip checkpoint (expected a zip archive from torch.save with "
                    + "_use_new_zipfile_serialization, the default since PyTorch 1.6)");
        StateDict out = new StateDict(path.toString());
        try (PointerScope scope = new PointerScope()) {
            IValue root;
            try {
                root = torch.pickle_load(new ByteVector(bytes));
            } catch (RuntimeException e) {
                String m = String.valueOf(e.getMessage());
                if (m.contains("GenericDict") || m.contains("OrderedDict") || m.contains("collections"))
                    throw new CheckpointException(path + ": the checkpoint holds an OrderedDict (torch.save(model.state_dict())), "
                            + "which LibTorch cannot unpickle. Re-save it as a plain dict: torch.save(dict(sd), path), "
                            + "or convert it to safetensors. (" + firstLine(m) + ")", e);
                throw new CheckpointException(path + ": cannot unpickle the checkpoint: " + firstLine(m), e);
            }
            GenericDict dict = asDict(root, path);
            if (dict.size() > 0 && !hasTensorValues(dict)) {
                for (String k : new String[] {"state_dict", "model", "module"}) {
                    IValue key = new IValue(k);
                    if (dict.contains(key) && dict.at(key).isGenericDict()) {
                        dict = dict.at(key).toGenericDict();
                        break;
                    }
                }
            }
            for (GenericDictIterator it = dict.begin(); !it.equals(dict.end()); it = it.increment()) {
                IValue k = it.access().key(), v = it.access().value();
                if (!k.isString()) throw new CheckpointException(path + ": checkpoint dict has a non-string key (" + k.tagKind().getString() + ")");
                String name = k.toStringRef().getString();
                if (!v.isTensor())
                    throw new CheckpointException(path + ": entry '" + name + "' is a " + v.tagKind().getString() + ", not a tensor");
                Tensor t = v.toTensor();
                out.put(name, t.contiguous());
            }
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    private static GenericDict asDict(IValue root, Path path) {
        if (root.isGenericDict()) return root.toGenericDict();
        throw new CheckpointException(path + ": the checkpoint holds a " + root.tagKind().getString()
                + ", expected a dict of name -> tensor");
    }

    private static boolean hasTensorValues(GenericDict d) {
        GenericDictIterator it = d.begin();
        return !it.equals(d.end()) && it.access().value().isTensor();
    }

    private static String firstLine(String m) {
        int i = m.indexOf('\n');
        return i < 0 ? m : m.substring(0, i);
    }
}
