extension TemplateRenderer {
    /// How much one render may take. Sections multiply: four loops over 60 items, one inside the
    /// next, render their body 13 million times, so depth alone cannot bound the work and the
    /// data decides as much as the template.
    struct Limits: Sendable {
        /// How deep sections (`#`, `^`, `$`, `<`) may nest; checked when a template is saved.
        var sectionDepth = 4
        /// How many times section bodies may be rendered in all: once per list element, once per
        /// true or present value.
        var sectionPasses = 100_000
        /// How many variables and sections may be looked up in all.
        var lookups = 100_000
        /// How long the output may be, in UTF-8 bytes.
        var outputBytes = 1 << 20

        /// The limits every notification is rendered with.
        static let standard = Limits()
    }

    /// A render would exceed one of the `Limits` with this data; nothing was rendered.
    struct LimitExceeded: Error, Equatable, CustomStringConvertible {
        /// Which limit.
        enum Limit: Sendable, Equatable {
            case sectionPasses
            case lookups
            case outputBytes
        }

        /// The limit exceeded.
        var limit: Limit
        /// Its value.
        var value: Int

        /// Says which limit, in the template author's terms.
        var description: String {
            switch limit {
            case .sectionPasses:
                "the template repeats its sections more than \(value) times with this data"
            case .lookups:
                "the template looks up more than \(value) names with this data"
            case .outputBytes:
                "the template renders more than \(Self.size(value)) with this data"
            }
        }

        private static func size(_ bytes: Int) -> String {
            if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
            if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
            return "\(bytes) bytes"
        }
    }
}
