package org.calico.nn;

/** A module was run before all its weights were loaded or initialised. */
public class ModuleNotReadyException extends IllegalStateException {
    public ModuleNotReadyException(String message) { super(message); }
}
