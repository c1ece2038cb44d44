package org.calico.tensor;

import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Element types CALICO moves between files, LibTorch and its kernels, with their safetensors names.
 * {@link #code()} is the dtype code of the native kernel ABI ({@code calico_kernels.h}); -1 where kernels
 * do not take that type.
 */
public enum DType {
    F32("F32", 4, ScalarType.Float, 0),
    F16("F16", 2, ScalarType.Half, 1),
    BF16("BF16", 2, ScalarType.BFloat16, 2),
    F64("F64", 8, ScalarType.Double, -1),
    I64("I64", 8, ScalarType.Long, -1),
    I32("I32", 4, ScalarType.Int, -1),
    I16("I16", 2, ScalarType.Short, -1),
    I8("I8", 1, ScalarType.Char, -1),
    U8("U8", 1, ScalarType.Byte, -1),
    BOOL("BOOL", 1, ScalarType.Bool, -1);

    private final String safetensorsName;
    private final int bytes;
    private final ScalarType scalarType;
    private final int code;

    DType(String st, int bytes, ScalarType scalarType, int code) {
        this.safetensorsName = st;
        this.bytes = bytes;
        this.scalarType = scalarType;
        this.code = code;
    }

    public String safetensorsName() { return safetensorsName; }
    public int bytes() { return bytes; }
    public ScalarType scalarType() { return scalarType; }
    public int code() { return code; }
    public boolean isFloatingPoint() { return this == F32 || this == F16 || this == BF16 || this == F64; }

    /** Parses a safetensors dtype string ("F32", "BF16", ...). */
    public static DType fromSafetensors(String name) {
        for (DType d : values()) if (d.safetensorsName.equals(name)) return d;
        throw new IllegalArgumentException("unsupported safetensors dtype '" + name + "' (supported: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL)");
    }

    /** Note: JavaCPP returns fresh enum objects from native calls, so scalar types compare by {@code value}. */
    public static DType of(ScalarType st) {
        for (DType d : values()) if (d.scalarType.value == st.value) return d;
        throw new IllegalArgumentException("unsupported LibTorch scalar type " + st);
    }

    /** Parses user input: f32/float32/fp32, bf16/bfloat16, f16/fp16/half. */
    public static DType parse(String s) {
        switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "f32": case "fp32": case "float": case "float32": return F32;
            case "bf16": case "bfloat16": return BF16;
            case "f16": case "fp16": case "half": case "float16": return F16;
            case "f64": case "float64": case "double": return F64;
            default: throw new IllegalArgumentException("unknown dtype '" + s + "' (use f32, bf16 or f16)");
        }
    }
}
