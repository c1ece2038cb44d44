package org.calico.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import org.calico.eval.coco.CocoAnnotation;
import org.calico.eval.coco.CocoDataset;
import org.calico.eval.coco.CocoEval;
import org.calico.eval.coco.CocoResults;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "coco-eval", mixinStandardHelpOptions = true,
        description = {"COCO segmentation evaluation with pycocotools 2.0.11 semantics (COCOeval, iouType=segm).",
                "Prints the 12 standard stats as JSON: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl (-1 = no entry)."})
public final class CocoEvalCommand implements Callable<Integer> {
    @Option(names = "--gt", required = true, description = "ground-truth COCO JSON (images, annotations with area/iscrowd, categories)")
    Path gt;

    @Option(names = "--dt", required = true, description = "results JSON: a list of {image_id, category_id, segmentation (RLE), score}")
    Path dt;

    @Option(names = "--use-cats", defaultValue = "true", arity = "1", description = "params.useCats (default: ${DEFAULT-VALUE})")
    boolean useCats;

    @Option(names = "--max-dets", split = ",", description = "params.maxDets (default 1,10,100)")
    int[] maxDets;

    @Override public Integer call() throws Exception {
        CocoDataset g = CocoDataset.read(gt);
        List<CocoAnnotation> d = CocoResults.read(dt, g);
        CocoEval e = new CocoEval(g, d);
        e.params.useCats = useCats;
        if (maxDets != null) e.params.maxDets = maxDets;
        e.evaluate();
        e.accumulate();
        double[] s = e.summarize();
        ObjectMapper om = new ObjectMapper();
        ObjectNode out = om.createObjectNode();
        ArrayNode arr = out.putArray("stats");
        for (double v : s) arr.add(v);
        for (int i = 0; i < s.length; i++) out.put(CocoEval.STAT_NAMES[i], s[i]);
        System.out.println(om.writerWithDefaultPrettyPrinter().writeValueAsString(out));
        return 0;
    }
}
