package org.calico.kernels;

import static org.calico.kernels.KernelTestSupport.assertClose;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.TestSupport;
import org.calico.io.SafeTensors;
import org.calico.io.StateDict;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/**
 * Whole upstream models assembled in test code around the ops, run with the composite and with the native kernels,
 * against the upstream parity fixtures (../shared/parity, tolerance atol 1e-4 + rtol 1e-3 as the fixtures specify),
 * and native against composite within 1e-4:
 * <ul>
 *   <li>sam_mask_decoder: segment-anything MaskDecoder (TwoWayTransformer depth 2, every Attention block, upscaling,
 *       hypernetwork masks) -- SamMaskDecodingOp attention/masks;</li>
 *   <li>hf_blip2_qformer: transformers Blip2QFormerModel (4 layers, cross-attention in 0 and 2) -- QFormerCrossAttentionOp
 *       for both the self- and the cross-attention.</li>
 * </ul>
 * These are reference harnesses, not the project's model modules (those live in org.calico.sam / org.calico.vision).
 */
class UpstreamParityTest {
    private static final double ATOL = 1e-4, RTOL = 1e-3;

    // ------------------------------------------------------------------ SAM mask decoder

    private static Tensor[] maskDecoder(StateDict w, SamMaskDecodingOp op, Tensor image, Tensor imagePe, Tensor sparse, Tensor dense) {
        Tensor out = T.cat(0, w.get("iou_token.weight"), w.get("mask_tokens.weight")); // [5, 256]
        long n = sparse.size(0);
        Tensor tokens = T.cat(1, out.unsqueeze(0).expand(n, -1, -1), sparse); // [N, 8, 256]
        Tensor src = image.repeat_interleave(n, new LongOptional(0), new LongOptional()).add(dense); // [N, 256, h, w]
        Tensor pos = imagePe.repeat_interleave(n, new LongOptional(0), new LongOptional());
        long c = src.size(1), h = src.size(2), ww = src.size(3);
        // TwoWayTransformer
        Tensor keys = src.flatten(2, -1).permute(0, 2, 1);
        Tensor keyPe = pos.flatten(2, -1).permute(0, 2, 1);
        Tensor queries = tokens;
        for (int l = 0; l < 2; l++) {
            String p = "transformer.layers." + l + ".";
            if (l == 0) {
                queries = op.attention(queries, queries, queries, attn(w, p + "self_attn."));
            } else {
                Tensor q = queries.add(tokens);
                queries = queries.add(op.attention(q, q, queries, attn(w, p + "self_attn.")));
            }
            queries = ln(w, p + "norm1", queries);
            Tensor q = queries.add(tokens), k = keys.add(keyPe);
            queries = ln(w, p + "norm2", queries.add(op.attention(q, k, keys, attn(w, p + "cross_attn_token_to_image."))));
            Tensor mlp = T.linear(T.relu(T.linear(queries, w.get(p + "mlp.lin1.weight"), w.get(p + "mlp.lin1.bias"))),
                    w.get(p + "mlp.lin2.weight"), w.get(p + "mlp.lin2.bias"));
            queries = ln(w, p + "norm3", queries.add(mlp));
            q = queries.add(tokens);
            k = keys.add(keyPe);
            keys = ln(w, p + "norm4", keys.add(op.attention(k, q, queries, attn(w, p + "cross_attn_image_to_token."))));
        }
        Tensor q = queries.add(tokens), k = keys.add(keyPe);
        queries = ln(w, "transformer.norm_final_attn", queries.add(op.attention(q, k, keys, attn(w, "transformer.final_attn_token_to_image."))));
        // heads
        Tensor srcOut = keys.transpose(1, 2).view(n, c, h, ww); // channels-last memory, as upstream
        Tensor[] hyper = new Tensor[4];
        for (int i = 0; i < 4; i++) hyper[i] = mlp3(w, "output_hypernetworks_mlps." + i + ".layers.", queries.select(1, 1 + i));
        Tensor hyperIn = T.stack(1, hyper); // [N, 4, 32]
        SamMaskDecodingOp.UpscaleWeights uw = new SamMaskDecodingOp.UpscaleWeights(w.get("output_upscaling.0.weight"),
                w.get("output_upscaling.0.bias"), w.get("output_upscaling.1.weight"), w.get("output_upscaling.1.bias"),
                w.get("output_upscaling.3.weight"), w.get("output_upscaling.3.bias"));
        Tensor masks = op.masks(srcOut, hyperIn, uw);
        Tensor iou = mlp3(w, "iou_prediction_head.layers.", queries.select(1, 0));
        return new Tensor[] {masks, iou};
    }

    private static SamMaskDecodingOp.AttentionWeights attn(StateDict w, String p) {
        return new SamMaskDecodingOp.AttentionWeights(w.get(p + "q_proj.weight"), w.get(p + "q_proj.bias"), w.get(p + "k_proj.weight"),
                w.get(p + "k_proj.bias"), w.get(p + "v_proj.weight"), w.get(p + "v_proj.bias"), w.get(p + "out_proj.weight"),
                w.get(p + "out_proj.bias"), 8);
    }

    private static Tensor ln(StateDict w, String p, Tensor x) {
        return T.layerNorm(x, w.get(p + ".weight"), w.get(p + ".bias"), 1e-5); // TwoWayTransformer: nn.LayerNorm default eps
    }

    private static Tensor mlp3(StateDict w, String p, Tensor x) {
        Tensor y = T.relu(T.linear(x, w.get(p + "0.weight"), w.get(p + "0.bias")));
        y = T.relu(T.linear(y, w.get(p + "1.weight"), w.get(p + "1.bias")));
        return T.linear(y, w.get(p + "2.weight"), w.get(p + "2.bias"));
    }

    @Test
    void samMaskDecoderBothBackends() {
        Path dir = TestSupport.parityCase("sam_mask_decoder");
        assumeTrue(dir != null, "parity fixtures not present");
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard();
             StateDict w = SafeTensors.read(dir.resolve("weights.safetensors"));
             StateDict io = SafeTensors.read(dir.resolve("io.safetensors"));
             NativeSamMaskDecoding nat = new NativeSamMaskDecoding()) {
            Tensor[] ref = maskDecoder(w, new TorchSamMaskDecoding(), io.get("image_embeddings"), io.get("image_pe"),
                    io.get("sparse_prompt_embeddings"), io.get("dense_prompt_embeddings"));
            Tensor[] got = maskDecoder(w, nat, io.get("image_embeddings"), io.get("image_pe"),
                    io.get("sparse_prompt_embeddings"), io.get("dense_prompt_embeddings"));
            for (Tensor[] r : new Tensor[][] {ref, got}) {
                String which = r == ref ? "torch" : "native";
                System.out.printf("sam_mask_decoder %s: low_res_masks_single %.3g, multi %.3g, iou single %.3g, multi %.3g (max abs err)%n", which,
                        assertClose(which + " low_res_masks_single", io.get("low_res_masks_single"), r[0].narrow(1, 0, 1), ATOL, RTOL),
                        assertClose(which + " low_res_masks_multi", io.get("low_res_masks_multi"), r[0].narrow(1, 1, 3), ATOL, RTOL),
                        assertClose(which + " iou_single", io.get("iou_predictions_single"), r[1].narrow(1, 0, 1), ATOL, RTOL),
                        assertClose(which + " iou_multi", io.get("iou_predictions_multi"), r[1].narrow(1, 1, 3), ATOL, RTOL));
            }
            assertClose("native vs torch masks", ref[0], got[0], 1e-4, 0);
            assertClose("native vs torch iou", ref[1], got[1], 1e-4, 0);
            // several prompts on the same image: the first block's image keys are shared (batch 1 path inside)
            Tensor sparse3 = T.cat(0, io.get("sparse_prompt_embeddings"), io.get("sparse_prompt_embeddings").flip(1),
                    io.get("sparse_prompt_embeddings").mul(T.s(0.5)));
            Tensor dense3 = io.get("dense_prompt_embeddings").expand(3, -1, -1, -1);
            Tensor[] r3 = maskDecoder(w, new TorchSamMaskDecoding(), io.get("image_embeddings"), io.get("image_pe"), sparse3, dense3);
            Tensor[] n3 = maskDecoder(w, nat, io.get("image_embeddings"), io.get("image_pe"), sparse3, dense3);
            assertClose("3 prompts masks", r3[0], n3[0], 1e-4, 0);
            assertClose("3 prompts: prompt 0 = single prompt", got[0], n3[0].narrow(0, 0, 1), 1e-5, 0);
        }
    }

    // ------------------------------------------------------------------ BLIP-2 Q-Former

    private static Tensor qformer(StateDict w, QFormerCrossAttentionOp op, Tensor queryEmbeds, Tensor enc) {
        Tensor h = T.layerNorm(queryEmbeds, w.get("layernorm.weight"), w.get("layernorm.bias"), 1e-12);
        for (int i = 0; i < 4; i++) {
            String p = "encoder.layer." + i + ".";
            Tensor a = op.forward(h, h, qkv(w, p + "attention.attention."));
            h = T.layerNorm(T.linear(a, w.get(p + "attention.output.dense.weight"), w.get(p + "attention.output.dense.bias")).add(h),
                    w.get(p + "attention.output.LayerNorm.weight"), w.get(p + "attention.output.LayerNorm.bias"), 1e-12);
            if (i % 2 == 0) {
                Tensor c = op.forward(h, enc, qkv(w, p + "crossattention.attention."));
                h = T.layerNorm(T.linear(c, w.get(p + "crossattention.output.dense.weight"), w.get(p + "crossattention.output.dense.bias")).add(h),
                        w.get(p + "crossattention.output.LayerNorm.weight"), w.get(p + "crossattention.output.LayerNorm.bias"), 1e-12);
            }
            Tensor f = T.linear(T.gelu(T.linear(h, w.get(p + "intermediate_query.dense.weight"), w.get(p + "intermediate_query.dense.bias"))),
                    w.get(p + "output_query.dense.weight"), w.get(p + "output_query.dense.bias"));
            h = T.layerNorm(f.add(h), w.get(p + "output_query.LayerNorm.weight"), w.get(p + "output_query.LayerNorm.bias"), 1e-12);
        }
        return h;
    }

    private static QFormerCrossAttentionOp.Weights qkv(StateDict w, String p) {
        return new QFormerCrossAttentionOp.Weights(w.get(p + "query.weight"), w.get(p + "query.bias"), w.get(p + "key.weight"),
                w.get(p + "key.bias"), w.get(p + "value.weight"), w.get(p + "value.bias"), 4);
    }

    @Test
    void blip2QFormerBothBackends() {
        Path dir = TestSupport.parityCase("hf_blip2_qformer");
        assumeTrue(dir != null, "parity fixtures not present");
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard();
             StateDict w = SafeTensors.read(dir.resolve("weights.safetensors"));
             StateDict io = SafeTensors.read(dir.resolve("io.safetensors"));
             NativeQFormerCrossAttention nat = new NativeQFormerCrossAttention()) {
            Tensor ref = qformer(w, new TorchQFormerCrossAttention(), io.get("query_embeds"), io.get("encoder_hidden_states"));
            Tensor got = qformer(w, nat, io.get("query_embeds"), io.get("encoder_hidden_states"));
            System.out.printf("hf_blip2_qformer last_hidden_state: torch %.3g, native %.3g (max abs err)%n",
                    assertClose("torch", io.get("last_hidden_state"), ref, ATOL, RTOL),
                    assertClose("native", io.get("last_hidden_state"), got, ATOL, RTOL));
            assertClose("native vs torch", ref, got, 1e-4, 0);
        }
    }
}
