using System.Text.Json.Nodes;

namespace SweepCluster.Deploy.Tests;

/// <summary>
/// The renderer against what Go's text/template, Sprig and Helm do with the same template: each
/// expected output is Go's (and Helm's) for the template and values given.
/// </summary>
public sealed class GoTemplateTests
{
    /// <summary>Renders a template with `.` the values (YAML, read as Helm reads values: numbers are float64).</summary>
    static string Render(string template, string values = "{}")
    {
        var set = new GoTemplate(HelmFunctions.All);
        set.Add("t", template);
        return set.Execute("t", HelmValues.FromYaml(values));
    }

    [Theory]
    // Trim markers take every space and newline on their side; "{{-3}}" is the number -3, not a trim.
    [InlineData("a  {{- 1 -}}  \n b", "a1b")]
    [InlineData("{{-3}}", "-3")]
    [InlineData("a\n  {{- /* a comment */}}\nb{{/* another */}}", "a\nb")]
    [InlineData("{{ printf \"}}\" }}", "}}")]
    [InlineData("{{ if not .n }}none{{ else if gt .n 2.0 }}more{{ else }}less{{ end }}", "more")]
    [InlineData("{{ with .m }}{{ .a }}{{ end }}|{{ with .none }}x{{ end }}", "1|")]
    // A map is ranged in the order of its keys.
    [InlineData("{{ range $k, $v := .m }}{{ $k }}={{ $v }};{{ end }}", "a=1;b=two;")]
    [InlineData("{{ range .list }}[{{ . }}]{{ end }}{{ range .none }}x{{ end }}", "[1][x]")]
    // A variable assigned in a block is the outer one; one declared there ends with it.
    [InlineData("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }}", "2")]
    // and and or return the deciding argument and evaluate no further: .none.x would fail.
    [InlineData("{{ and .none .none.x }}|{{ and 1 \"c\" }}", "|c")]
    // Numbers from values are float64: %v prints the shortest form, in exponent form from 1e+06.
    [InlineData("{{ .n }} {{ .big }} {{ .half }} {{ .port }} {{ 123456.0 }}", "3 1e+06 0.5 4053 123456")]
    [InlineData("{{ quote .port }} {{ .port | toString }} {{ printf \"%s:%v\" \"a\" .port }} {{ printf \"%s\" .port }} {{ int .port }}",
        "\"4053\" 4053 a:4053 %!s(float64=4053) 4053")]
    [InlineData("{{ default \"d\" \"\" }} {{ \"\" | default \"d\" }} {{ default \"d\" .none }} {{ default \"d\" \"given\" }} {{ .none }}", "d d d given ")]
    [InlineData("{{ \"sweepcluster-worker-\" | trunc 12 | trimSuffix \"-\" }} {{ contains \"sweep\" \"prod-sweepcluster\" }} {{ replace \"+\" \"_\" \"1.0+b\" }}",
        "sweepcluster true 1.0_b")]
    [InlineData("a:{{ \"x: 1\\ny: 2\" | nindent 2 }}", "a:\n  x: 1\n  y: 2")]
    [InlineData("{{ $p := list }}{{ range $k, $v := .m }}{{ $p = append $p (printf \"%s=%v\" $k $v) }}{{ end }}{{ join \",\" $p }}", "a=1,b=two")]
    [InlineData("{{ ternary \"ssl\" \"tcp\" .t }}{{ ternary \"ssl\" \"tcp\" (not .t) }}", "ssltcp")]
    public void Templates_render_as_go_and_helm_render_them(string template, string expected)
    {
        const string values = "{n: 3, big: 1000000, half: 0.5, port: 4053, m: {b: two, a: 1}, list: [1, x], t: true}";
        Assert.Equal(expected, Render(template, values));
    }

    [Fact]
    public void ToYaml_quotes_what_would_read_as_another_type_and_keeps_the_structure()
    {
        var yaml = Render("{{ toYaml . }}", """
            b: [1, two, "true", "1", "", "yes", "a: b", "-x", "#c", 0.5]
            a: {c: {}, d: [], e: null, f: {g: h}}
            """);
        Assert.Equal("""
            a:
              c: {}
              d: []
              e: null
              f:
                g: h
            b:
            - 1
            - two
            - "true"
            - "1"
            - ""
            - "yes"
            - "a: b"
            - "-x"
            - "#c"
            - 0.5
            """, yaml);
        Assert.Equal("{\"a\":{\"c\":{},\"d\":[],\"e\":null,\"f\":{\"g\":\"h\"}},\"b\":[1,\"x\"]}",
            Render("{{ toJson . }}", "{b: [1, x], a: {c: {}, d: [], e: null, f: {g: h}}}"));
        Assert.Equal("a=1,b=true", Render("{{ $p := list }}{{ range $k, $v := \"b: \\\"true\\\"\\na: 1\" | fromYaml }}{{ $p = append $p (printf \"%s=%v\" $k $v) }}{{ end }}{{ join \",\" $p }}"));
    }

    [Fact]
    public void Merge_fills_in_what_the_target_lacks_and_deepCopy_leaves_the_values_as_given()
    {
        // The worker template's GPU limit, added to a copy of workers.resources.
        const string template = """
            {{- $r := deepCopy .r }}
            {{- $_ := set $r "limits" (merge (dict "gpu" "1") ($r.limits | default (dict))) }}
            {{- toJson $r }} {{ toJson .r }}
            """;
        Assert.Equal("{\"limits\":{\"gpu\":\"1\"},\"requests\":{\"cpu\":4}} {\"requests\":{\"cpu\":4}}", Render(template, "{r: {requests: {cpu: 4}}}"));
        Assert.Equal("{\"limits\":{\"gpu\":\"1\",\"memory\":\"2Gi\"}} {\"limits\":{\"memory\":\"2Gi\"}}", Render(template, "{r: {limits: {memory: 2Gi}}}"));
        // The target's own keys win, maps merge deeply.
        Assert.Equal("{\"a\":\"target\",\"b\":\"source\",\"m\":{\"x\":1,\"y\":2}}",
            Render("{{ toJson (merge (dict \"a\" \"target\" \"m\" (dict \"x\" 1)) (dict \"a\" \"source\" \"b\" \"source\" \"m\" (dict \"x\" 3 \"y\" 2))) }}"));
    }

    [Fact]
    public void Include_renders_a_define_with_the_data_given()
    {
        const string template = """
            {{- define "labels" -}}
            name: {{ .name }}
            {{- end }}
            metadata:
              labels:
                {{- include "labels" . | nindent 4 }}
            """;
        // The newline after the define's end is text of the file, as in Go.
        Assert.Equal("\nmetadata:\n  labels:\n    name: web", Render(template, "{name: web}"));
    }

    [Theory]
    [InlineData("{{ if .a }}x", "{{if}} without end")]
    [InlineData("x\n{{ end }}", "unexpected {{end}}")]
    [InlineData("{{ .a }", "'{{' without '}}'")]
    [InlineData("a: {{ .a }}}}", "'}}' outside an action")]
    [InlineData("{{ .a {{ .b }}", "'{{' inside an action")]
    [InlineData("{{ else }}", "unexpected {{else}}")]
    [InlineData("{{ with .a }}{{ define \"x\" }}{{ end }}{{ end }}", "{{with}} without end")]
    [InlineData("{{ printf \"%s }}", "unterminated \" in an action")]
    // What the renderer does not do is refused, not skipped.
    [InlineData("{{ lookup \"v1\" \"Pod\" \"\" \"\" }}", "function \"lookup\" is not supported")]
    [InlineData("{{ template \"x\" . }}", "{{template}} is not supported")]
    [InlineData("{{ range .a }}{{ break }}{{ end }}", "{{break}} is not supported")]
    [InlineData("{{ 'c' }}", "character constants are not supported")]
    [InlineData("{{ with .a }}{{ else with .b }}{{ end }}", "{{else with .b}} is not supported")]
    [InlineData("{{ (.m).a }}", "(x).field, is not supported")]
    public void A_template_that_does_not_parse_or_uses_what_the_renderer_lacks_is_refused_with_its_line(string template, string message)
    {
        var e = Assert.Throws<TemplateException>(() => Render(template));
        Assert.StartsWith("t:", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Theory]
    // A field of nothing, as Go fails on it (a missing key itself is nothing, as in Helm).
    [InlineData("{{ .none.deeper }}", "t:1: nil pointer evaluating interface {}.deeper")]
    // Go compares an int with an int only: values are float64, constants int.
    [InlineData("{{ if gt .n 0 }}{{ end }}", "gt: incompatible types for comparison: float64 and int")]
    // An argument of the wrong Go type: nindent takes an int.
    [InlineData("{{ nindent .n \"x\" }}", "expected int; got float64")]
    [InlineData("{{ required \"x.y: needed\" .none }}", "t:1: required: x.y: needed")]
    [InlineData("{{ fail \"stop\" }}", "t:1: fail: stop")]
    [InlineData("{{ .n.x }}", "can't evaluate field x in type float64")]
    [InlineData("{{ include \"nothing\" . }}", "no template \"nothing\"")]
    public void Execution_fails_where_go_and_helm_fail_with_the_line_and_the_reason(string template, string message)
    {
        var e = Assert.Throws<TemplateException>(() => Render(template, "{n: 3}"));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Release_values_coalesce_over_the_chart_s_as_helm_s_do()
    {
        var defaults = JsonNode.Parse("""{"a": {"x": 1, "y": 2}, "b": [1, 2], "c": {"z": "true"}}""")!.AsObject();
        // An empty map merges with the default (its keys stay), a list replaces, null removes.
        var merged = HelmRender.Coalesce(defaults, JsonNode.Parse("""{"a": {"y": 3}, "b": [], "c": {}, "d": 4}""")!.AsObject());
        Assert.Equal("""{"a":{"x":1,"y":3},"b":[],"c":{"z":"true"},"d":4}""", merged.ToJsonString());
        Assert.Equal("""{"a":{"x":1,"y":2},"b":[1,2]}""", HelmRender.Coalesce(defaults, JsonNode.Parse("""{"c": null}""")!.AsObject()).ToJsonString());
    }
}
