package org.calico.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;

import org.bytedeco.javacpp.PointerScope;
import org.calico.tensor.DType;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/** torch.save checkpoints made by scripts/make_torch_checkpoints.py. */
class TorchCheckpointTest {
    static Path res(String name) {
        try {
            return Path.of(TorchCheckpointTest.class.getResource("/io/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void plainDictLoads() {
        try (PointerScope s = new PointerScope(); StateDict sd = TorchCheckpoint.read(res("plain_dict.pt"))) {
            assertEquals(4, sd.size());
            assertArrayEquals(new long[] {3, 4}, T.shape(sd.get("encoder.weight")));
            assertEquals(1.1f, T.toFloats(sd.get("encoder.weight"))[11], 1e-6);
            assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5}, T.toLongs(sd.get("table")));
            assertEquals(DType.BF16, T.dtype(sd.get("half")));
            assertEquals(-2.25f, T.toFloats(sd.get("half"))[1]);
        }
    }

    @Test
    void nestedStateDictLoadsThroughOpen() {
        try (PointerScope s = new PointerScope(); TensorSource src = SafeTensors.open(res("nested_state_dict.pt"))) {
            assertTrue(src.names().contains("encoder.bias"));
            assertArrayEquals(new float[] {0.5f, -1f, 2f}, T.toFloats(src.load("encoder.bias")));
        }
    }

    @Test
    void orderedDictIsRefusedWithTheFix() {
        CheckpointException e = assertThrows(CheckpointException.class, () -> TorchCheckpoint.read(res("ordered_dict.pt")));
        assertTrue(e.getMessage().contains("OrderedDict") && e.getMessage().contains("torch.save(dict(sd), path)"), e.getMessage());
    }

    @Test
    void notAZipIsRefused() {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> TorchCheckpoint.read(Path.of("pom.xml").toAbsolutePath()));
        assertTrue(e.getMessage().contains("not a torch zip checkpoint"), e.getMessage());
    }
}
