package org.calico.data;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Category statistics of one image of a sample: the object shown (category id, name, supercategory/family) and the
 * part names annotated on it, in the category's part order.
 */
public record ObjectRef(int image, @JsonProperty("object_id") int objectId, @JsonProperty("object_name") String objectName,
                        String supercategory, List<String> parts) {
    public ObjectRef {
        parts = parts == null ? List.of() : List.copyOf(parts);
    }
}
