package dev.atelier.api.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.RawValue;
import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The JSON last written for each key, handed out again while what it was written from is still equal: clients
 * poll an instance's show far more often than the instance changes, and building and writing its view was the
 * largest part of a show's CPU after the signature check (docs/performance.md); a list page is made of the items
 * its instances were last written as. Nothing is ever served that differs from what writing now would give: the
 * value is a function of its sources, and sources that are not {@link Object#equals equal} to the ones last written
 * are written again. At most {@code capacity} keys are kept; past that an arbitrary one makes room.
 */
final class RenderedJson {
    private record Written(Object sources, SerializedString json) {
    }

    private final ObjectMapper mapper;
    private final int capacity;
    private final ConcurrentHashMap<String, Written> written = new ConcurrentHashMap<>();

    RenderedJson(ObjectMapper mapper, int capacity) {
        this.mapper = mapper;
        this.capacity = capacity;
    }

    /**
     * The JSON of what {@code render} makes of {@code sources}; {@code sources} must be immutable and compare by
     * value (records, lists, maps and scalars), and {@code render} a function of them alone.
     */
    <S> byte[] json(String key, S sources, Function<S, ?> render) {
        return written(key, sources, render).asUnquotedUTF8(); // the JSON text's own bytes, encoded once
    }

    /** The same, as JSON to be written as it is inside a larger document (an item of a page). */
    <S> RawValue raw(String key, S sources, Function<S, ?> render) {
        return new RawValue(written(key, sources, render));
    }

    private <S> SerializedString written(String key, S sources, Function<S, ?> render) {
        Written last = written.get(key);
        if (last != null && last.sources().equals(sources)) {
            return last.json();
        }
        Object value = render.apply(sources);
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
        written.put(key, new Written(sources, json));
        return json;
    }

    int size() {
        return written.size();
    }
}
