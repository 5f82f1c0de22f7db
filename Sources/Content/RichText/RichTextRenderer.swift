import Ink

/// Markdown to the HTML the delivery API hands sites. Raw HTML in the source is shown as text,
/// never passed through, and the result goes through `HTMLAllowlist`, which keeps only the
/// tags and attributes Markdown makes and only links with safe schemes: a site that renders
/// what it gets cannot be made to run a script.
struct RichTextRenderer: Sendable {
    func html(from markdown: String) -> String {
        var parser = MarkdownParser()
        // Ink passes HTML through: show its source instead.
        parser.addModifier(Modifier(target: .html) { input in HTMLAllowlist.escapeText(String(input.markdown)) })
        return HTMLAllowlist.sanitize(parser.html(from: markdown))
    }
}
