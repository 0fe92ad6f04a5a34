package dev.atelier.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class RenderedJsonTest {
    record Shown(String id, String status, List<Object> endpoints, Map<String, String> pool) {
    }

    private static final Function<Object, Object> AS_IS = Function.identity();
    private final RenderedJson rendered = new RenderedJson(Json.mapper(), 2);

    @Test
    void aViewIsBuiltOnlyWhenItsSourcesChangeAndEqualSourcesThatAreOtherObjectsCount() {
        AtomicInteger built = new AtomicInteger();
        Function<Shown, Object> render = s -> {
            built.incrementAndGet();
            return Map.of("shown", s.status());
        };
        byte[] first = rendered.json("a", new Shown("a", "STARTING", List.of(), Map.of("id", "p")), render);
        byte[] again = rendered.json("a", new Shown("a", "STARTING", List.of(), Map.of("id", "p")), render);
        assertThat(again).isSameAs(first);
        assertThat(built).hasValue(1);

        byte[] changed = rendered.json("a", new Shown("a", "STARTING", List.of(), Map.of("id", "q")), render);
        assertThat(built).hasValue(2);
        assertThat(changed).isNotSameAs(first);
    }

    @Test
    void anEqualValueIsAnsweredWithTheJsonWrittenBeforeAndAChangedOneIsWrittenAgain() {
        byte[] first = rendered.json("a", new Shown("a", "STARTING", ssh("x"), Map.of()), AS_IS);
        byte[] again = rendered.json("a", new Shown("a", "STARTING", ssh("x"), Map.of()), AS_IS);
        assertThat(again).isSameAs(first);
        assertThat(new String(first, StandardCharsets.UTF_8)).isEqualTo(
                "{\"id\":\"a\",\"status\":\"STARTING\",\"endpoints\":[{\"uri\":\"ssh://x\"}],\"pool\":{}}");

        byte[] changed = rendered.json("a", new Shown("a", "RUNNING", ssh("x"), Map.of()), AS_IS);
        assertThat(new String(changed, StandardCharsets.UTF_8)).contains("\"status\":\"RUNNING\"");
        byte[] nested = rendered.json("a", new Shown("a", "RUNNING", ssh("y"), Map.of()), AS_IS);
        assertThat(new String(nested, StandardCharsets.UTF_8)).contains("ssh://y");
    }

    private static List<Object> ssh(String host) {
        return List.of(Map.of("uri", "ssh://" + host));
    }

    @Test
    void aPageOfItemsWrittenBeforeIsTheSameJsonAsThePageWrittenWhole() throws Exception {
        var mapper = Json.mapper();
        List<Shown> items = List.of(new Shown("a", "RUNNING", List.of(), Map.of("id", "p\u00e9")),
                new Shown("b", "STOPPED \"quoted\"", List.of(Map.of("k", 1)), Map.of()));
        rendered.json("a", items.get(0), AS_IS); // written once already, as a show would have
        List<Object> raw = items.stream().<Object>map(i -> rendered.raw(i.id(), i, AS_IS)).toList();
        assertThat(new String(mapper.writeValueAsBytes(Views.Page.of(raw, 0, 50, 2)), StandardCharsets.UTF_8))
                .isEqualTo(mapper.writeValueAsString(Views.Page.of(items, 0, 50, 2)));
    }

    @Test
    void noMoreKeysAreKeptThanItsCapacity() {
        for (int i = 0; i < 10; i++) {
            rendered.json("k" + i, new Shown("k" + i, "RUNNING", List.of(), Map.of()), AS_IS);
        }
        assertThat(rendered.size()).isEqualTo(2);
        assertThat(new String(rendered.json("k3", new Shown("k3", "STOPPED", List.of(), Map.of()), AS_IS),
                StandardCharsets.UTF_8)).contains("\"id\":\"k3\"", "STOPPED");
    }
}
