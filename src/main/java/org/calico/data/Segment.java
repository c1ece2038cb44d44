package org.calico.data;

import org.calico.mask.CocoRle;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One ground-truth grounded phrase: the phrase between {@code <p> </p>}, the 0-based index of its image in
 * {@link Sample#images()} (the answer writes {@code (IMAGE<image+1>)}), its mask as compressed COCO RLE at the image's
 * full size, and the object category (and part category for part segments; null for object segments).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Segment(String phrase, int image, CocoRle mask,
                      @JsonProperty("object_id") int objectId, @JsonProperty("object_name") String objectName,
                      @JsonProperty("part_id") Integer partId, @JsonProperty("part_name") String partName) {
    public Segment {
        if (phrase == null || phrase.isBlank()) throw new IllegalArgumentException("segment phrase is missing");
        if (mask == null) throw new IllegalArgumentException("segment '" + phrase + "' has no mask");
        if (objectName == null) throw new IllegalArgumentException("segment '" + phrase + "' has no object_name");
        if ((partId == null) != (partName == null)) throw new IllegalArgumentException("segment '" + phrase + "': part_id and part_name go together");
    }

    /** "object:part" key of an object-part category, or the object name for an object segment. */
    @JsonIgnore public String categoryKey() {
        return partName == null ? objectName : objectName + ":" + partName;
    }

    @JsonIgnore public boolean isPart() { return partName != null; }
}
