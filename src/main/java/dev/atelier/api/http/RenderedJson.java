package dev.atelier.api.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.RawValue;
import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The JSON last written for each key, handed out again while what it was written from is still equal: clients
 * poll an instance's show far more often than the instance changes, and writing its view was the largest part of a
 * show's CPU after the signature check (docs/performance.md); a list page is made of the items its instances were
 * last written as. Nothing is ever served that differs from what
 * writing the value now would give: a value that is not {@link Object#equals equal} to the one written is written
 * again. At most {@code capacity} keys are kept; past that an arbitrary one makes room.
 */
final class RenderedJson {
    private record Written(Object value, SerializedString json) {
    }

    private final ObjectMapper mapper;
    private final int capacity;
    private final ConcurrentHashMap<String, Written> written = new ConcurrentHashMap<>();

    RenderedJson(ObjectMapper mapper, int capacity) {
        this.mapper = mapper;
        this.capacity = capacity;
    }

    /** {@code value} as JSON; {@code value} must be made of records, lists, maps and scalars (deep equality). */
    byte[] json(String key, Object value) {
        return written(key, value).asUnquotedUTF8(); // the JSON text's own bytes, encoded once
    }

    /** {@code value} as JSON to be written as it is inside a larger document (an item of a page). */
    RawValue raw(String key, Object value) {
        return new RawValue(written(key, value));
    }

    private SerializedString written(String key, Object value) {
        Written last = written.get(key);
        if (last != null && last.value().equals(value)) {
            return last.json();
        }
        SerializedString json;
        try {
            json = new SerializedString(mapper.writeValueAsString(value)); // encoded to UTF-8 once, when first asked
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
        if (last == null && written.size() >= capacity) {
            Iterator<String> any = written.keySet().iterator();
            if (any.hasNext()) {
                written.remove(any.next());
            }
        }
        written.put(key, new Written(value, json));
        return json;
    }

    int size() {
        return written.size();
    }
}
