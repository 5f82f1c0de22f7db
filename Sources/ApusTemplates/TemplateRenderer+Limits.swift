extension TemplateRenderer {
    /// How much one render may take. Sections multiply: four loops over 60 items, one inside the
    /// next, render their body 13 million times, so depth alone cannot bound the work and the
    /// data decides as much as the template.
    public struct Limits: Sendable {
        /// How deep sections (`#`, `^`, `$`, `<`) may nest; checked when a template is saved.
        public var sectionDepth = 4
        /// How many times section bodies may be rendered in all: once per list element, once per
        /// true or present value.
        public var sectionPasses = 100_000
        /// How many variables and sections may be looked up in all.
        public var lookups = 100_000
        /// How long the output may be, in UTF-8 bytes.
        public var outputBytes = 1 << 20

        /// The limits a render takes unless given others.
        public static let standard = Limits()

        /// Limits of one's own; each defaults to the standard one.
        public init(sectionDepth: Int = 4, sectionPasses: Int = 100_000, lookups: Int = 100_000, outputBytes: Int = 1 << 20) {
            self.sectionDepth = sectionDepth
            self.sectionPasses = sectionPasses
            self.lookups = lookups
            self.outputBytes = outputBytes
        }
    }

    /// A render would exceed one of the `Limits` with this data; nothing was rendered.
    public struct LimitExceeded: Error, Equatable, CustomStringConvertible {
        /// Which limit.
        public enum Limit: Sendable, Equatable {
            case sectionPasses
            case lookups
            case outputBytes
        }

        /// The limit exceeded.
        public var limit: Limit
        /// Its value.
        public var value: Int

        /// The `limit` exceeded, whose value was `value`.
        public init(limit: Limit, value: Int) {
            self.limit = limit
            self.value = value
        }

        /// Says which limit, in the template author's terms.
        public var description: String {
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
