package org.calico.parity;

import java.util.Map;
import java.util.Set;

import org.bytedeco.pytorch.Tensor;
import org.calico.io.TensorSource;

/**
 * Runs one kind of parity case ({@code case.json}'s {@code module}) with CALICO's implementation: builds the module
 * from {@code config}, loads {@code weights} under their upstream names, calls it on the inputs from {@code io} and
 * returns every output named in the case. Runs inside a PointerScope owned by the runner.
 */
public interface ParityHandler {
    /** The {@code module} strings this handler runs, e.g. {@code "sam.image_encoder"}. */
    Set<String> modules();

    Map<String, Tensor> run(ParityCase c, TensorSource weights, TensorSource io);
}
