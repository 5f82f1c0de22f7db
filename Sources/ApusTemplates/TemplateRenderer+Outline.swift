extension TemplateRenderer {
    /// The tags of a template and how its sections nest, read the way swift-mustache reads them
    /// (the same delimiters, tag kinds and name syntax), so that what a render would do can be
    /// counted before it is done.
    ///
    /// The scan is a loop over a stack of open sections rather than a recursion, and it stops at
    /// the first section nested deeper than allowed, so no template can make it (or, because it
    /// runs first, the library's recursive parser) go deep.
    struct Outline {
        /// A variable or section name as the library splits it: `reversed(items)` is the name
        /// `items` with the transform `reversed`.
        struct Reference: Equatable {
            /// The dotted name, `.` for the current object, empty for the sequence position.
            var name: String
            /// Transforms, outermost first, as the library lists them.
            var transforms: [String]
            /// The parts of the dotted name, split once here rather than at every lookup.
            var path: [String]

            init(name: String, transforms: [String]) {
                self.name = name
                self.transforms = transforms
                path = name.split(separator: ".").map(String.init)
            }
        }

        /// One token of a template.
        indirect enum Node {
            /// Literal text of this many UTF-8 bytes.
            case text(bytes: Int)
            /// `{{name}}`, or `{{{name}}}` and `{{&name}}` when `escaped` is false.
            case variable(Reference, escaped: Bool)
            /// `{{#name}}…{{/name}}`.
            case section(Reference, body: [Node])
            /// `{{^name}}…{{/name}}`.
            case invertedSection(Reference, body: [Node])
            /// `{{$name}}…{{/name}}` outside a parent: its default content, rendered once, with
            /// the whitespace before the tag as indentation.
            case block(indentation: Int, body: [Node])
            /// `{{% CONTENT_TYPE: … }}`: whether later variables are escaped.
            case contentType(escapes: Bool)
        }

        /// Why a template cannot be outlined.
        enum Failure: Error {
            /// Sections nest deeper than allowed.
            case tooDeep(limit: Int)
            /// The library would not parse the template either; its parser says why.
            case malformed(String)
        }

        /// The template's top-level tokens.
        var nodes: [Node]

        /// Reads `text`; sections (`#`, `^`, `$` and `<`) may nest at most `maximumDepth` deep.
        init(_ text: String, maximumDepth: Int) throws(Failure) {
            var scanner = Scanner(Array(text))
            nodes = try scanner.scan(maximumDepth: maximumDepth)
        }
    }
}

extension TemplateRenderer.Outline {
    /// Walks the template's characters as the library's parser does: by `Character`, so a
    /// delimiter followed by a combining mark is text to both.
    fileprivate struct Scanner {
        private enum Opening {
            case section(Reference)
            case invertedSection(Reference)
            case block(name: String, indentation: Int)
            /// `{{<parent}}`: without partials it renders nothing, so its content is skipped.
            case parent(name: String)
        }

        private struct Frame {
            var opening: Opening
            var nodes: [Node] = []
            /// For a parent: whether it holds only blocks and text, all the library allows.
            var holdsOnlyBlocks = true

            /// Whether `{{/reference}}` ends this section.
            func closes(with reference: Reference) -> Bool {
                switch opening {
                case .section(let opened), .invertedSection(let opened): opened == reference
                case .block(let name, _), .parent(let name): reference.name == name && reference.transforms.isEmpty
                }
            }
        }

        private let characters: [Character]
        private var index = 0
        private var start: [Character] = ["{", "{"]
        private var end: [Character] = ["}", "}"]

        init(_ characters: [Character]) {
            self.characters = characters
        }

        mutating func scan(maximumDepth: Int) throws(Failure) -> [Node] {
            var top: [Node] = []
            var open: [Frame] = []
            // Spaces and tabs in the text since its last line break: at least the indentation
            // the library gives a block, which is the blanks that begin the tag's line.
            var lineBlanks = 0
            func append(_ node: Node) {
                if open.isEmpty { top.append(node) } else { open[open.count - 1].nodes.append(node) }
            }
            func push(_ opening: Opening) throws(Failure) {
                guard open.count < maximumDepth else { throw .tooDeep(limit: maximumDepth) }
                if case .block = opening {} else { tagOtherThanABlock() }
                open.append(Frame(opening: opening))
            }
            func tagOtherThanABlock() {
                if let last = open.indices.last, case .parent = open[last].opening { open[last].holdsOnlyBlocks = false }
            }

            while index < characters.count {
                let tag = try nextDelimiter()
                var textBytes = 0
                for character in characters[index..<(tag ?? characters.count)] {
                    textBytes += character.utf8.count
                    if character.isNewline {
                        lineBlanks = 0
                    } else if character == " " || character == "\t" {
                        lineBlanks += 1
                    }
                }
                if textBytes > 0 { append(.text(bytes: textBytes)) }
                guard let tag else { break }
                index = tag + start.count
                // The library drops a start delimiter at the very end of the text, or one
                // followed by a line break, which it reads as text.
                guard index < characters.count else { break }
                let kind = characters[index]
                if kind.isNewline { continue }
                switch kind {
                case "#", "^":
                    index += 1
                    let reference = try name()
                    try push(kind == "#" ? .section(reference) : .invertedSection(reference))
                case "/":
                    index += 1
                    let reference = try name()
                    guard let frame = open.popLast(), frame.closes(with: reference) else {
                        throw .malformed("\(text(start))/\(reference.name)\(text(end)) closes no open section")
                    }
                    switch frame.opening {
                    case .section(let reference): append(.section(reference, body: frame.nodes))
                    case .invertedSection(let reference): append(.invertedSection(reference, body: frame.nodes))
                    case .block(_, let indentation): append(.block(indentation: indentation, body: frame.nodes))
                    case .parent:
                        guard frame.holdsOnlyBlocks else { throw .malformed("a parent may hold only blocks and text") }
                    }
                case "!":
                    index += 1
                    try skipComment()
                case "{":
                    index += 1
                    let reference = try name()
                    guard index < characters.count, characters[index] == "}" else { throw unfinished() }
                    index += 1
                    tagOtherThanABlock()
                    append(.variable(reference, escaped: false))
                case "&":
                    index += 1
                    tagOtherThanABlock()
                    append(.variable(try name(), escaped: false))
                case ">":
                    index += 1
                    tagOtherThanABlock()
                    skipWhitespace()
                    if index < characters.count, characters[index] == "*" { index += 1 }
                    _ = try partialName()
                case "<":
                    index += 1
                    skipWhitespace()
                    try push(.parent(name: try partialName()))
                case "$":
                    index += 1
                    let reference = try name()
                    guard reference.transforms.isEmpty else { throw .malformed("a block cannot have transforms") }
                    try push(.block(name: reference.name, indentation: lineBlanks))
                case "=":
                    index += 1
                    try setDelimiters()
                case "%":
                    index += 1
                    tagOtherThanABlock()
                    append(.contentType(escapes: try contentType() != "TEXT"))
                default:
                    tagOtherThanABlock()
                    append(.variable(try name(), escaped: true))
                }
            }
            if !open.isEmpty { throw .malformed("a section is not closed") }
            return top
        }

        /// The index of the next start delimiter, if any.
        private func nextDelimiter() throws(Failure) -> Int? {
            guard let first = start.first else { return nil }
            var candidate = index
            while candidate < characters.count {
                if characters[candidate] == first {
                    // The library reads a whole delimiter's length here and fails when the text
                    // ends first, as in a template whose last character is `{`.
                    guard candidate + start.count <= characters.count else {
                        throw .malformed("the template ends inside \(text(start))")
                    }
                    if characters[candidate..<(candidate + start.count)].elementsEqual(start) { return candidate }
                }
                candidate += 1
            }
            return nil
        }

        /// A tag's name up to the end delimiter, split into name and transforms as the
        /// library's `parseName` does.
        private mutating func name() throws(Failure) -> Reference {
            skipWhitespace()
            let text = String(read(while: Self.isNameCharacter))
            skipWhitespace()
            try expectEnd()
            return try Self.reference(text)
        }

        private mutating func partialName() throws(Failure) -> String {
            skipWhitespace()
            let text = String(read(while: Self.isPartialNameCharacter))
            skipWhitespace()
            try expectEnd()
            return text
        }

        /// `transform(transform(name))`, written in the order the library keeps them.
        private static func reference(_ text: String) throws(Failure) -> Reference {
            guard let open = text.firstIndex(of: "(") else { return Reference(name: text, transforms: []) }
            var transforms = [String(text[..<open])]
            var rest = text[text.index(after: open)...]
            while true {
                guard let bracket = rest.firstIndex(where: { $0 == "(" || $0 == ")" }) else {
                    throw .malformed("the transform in \(text) is not closed")
                }
                let part = String(rest[..<bracket])
                if rest[bracket] == "(" {
                    transforms.append(part)
                    rest = rest[rest.index(after: bracket)...]
                    continue
                }
                let closing = rest[bracket...]
                guard closing.count == transforms.count, closing.allSatisfy({ $0 == ")" }) else {
                    throw .malformed("the brackets in \(text) do not match")
                }
                return Reference(name: part, transforms: transforms)
            }
        }

        /// A comment ends at the first end delimiter, found the way the library finds it: a
        /// partial match that fails starts over at the next character.
        private mutating func skipComment() throws(Failure) {
            var matched = 0
            while index < characters.count {
                if characters[index] == end[matched] {
                    matched += 1
                    if matched == end.count {
                        index += 1
                        return
                    }
                } else {
                    matched = 0
                }
                index += 1
            }
            throw .malformed("a comment is not closed")
        }

        /// `{{=<% %>=}}`: new start and end delimiters, neither empty nor holding whitespace.
        private mutating func setDelimiters() throws(Failure) {
            skipWhitespace()
            let newStart = read(while: { !$0.isWhitespace })
            guard index < characters.count else { throw .malformed("the delimiter change is not closed") }
            skipWhitespace()
            let newEnd = read(while: { !$0.isWhitespace && $0 != "=" })
            guard index < characters.count else { throw .malformed("the delimiter change is not closed") }
            skipWhitespace()
            guard index < characters.count, characters[index] == "=" else { throw .malformed("the delimiter change lacks its =") }
            index += 1
            try expectEnd()
            guard !newStart.isEmpty, !newEnd.isEmpty else { throw .malformed("a delimiter is empty") }
            start = Array(newStart)
            end = Array(newEnd)
        }

        /// `{{% CONTENT_TYPE: TEXT }}`: the content type's name.
        private mutating func contentType() throws(Failure) -> String {
            skipWhitespace()
            let variable = String(read(while: Self.isNameCharacterWithoutBrackets))
            skipWhitespace()
            guard index < characters.count, characters[index] == ":" else { throw .malformed("a pragma lacks its colon") }
            index += 1
            skipWhitespace()
            let value = String(read(while: Self.isNameCharacterWithoutBrackets))
            skipWhitespace()
            try expectEnd()
            guard variable == "CONTENT_TYPE", !value.isEmpty else { throw .malformed("\(variable) is not a known pragma") }
            return value
        }

        private mutating func expectEnd() throws(Failure) {
            guard index + end.count <= characters.count,
                  characters[index..<(index + end.count)].elementsEqual(end)
            else { throw unfinished() }
            index += end.count
        }

        private func unfinished() -> Failure {
            .malformed("a tag is not closed by \(text(end))")
        }

        private mutating func skipWhitespace() {
            _ = read(while: \.isWhitespace)
        }

        private mutating func read(while predicate: (Character) -> Bool) -> ArraySlice<Character> {
            let first = index
            while index < characters.count, predicate(characters[index]) { index += 1 }
            return characters[first..<index]
        }

        private func text(_ delimiter: [Character]) -> String { String(delimiter) }

        private static func isNameCharacterWithoutBrackets(_ character: Character) -> Bool {
            character.isASCII && (character.isLetter || character.isNumber || ".-_?*".contains(character))
        }

        private static func isNameCharacter(_ character: Character) -> Bool {
            isNameCharacterWithoutBrackets(character) || character == "(" || character == ")"
        }

        private static func isPartialNameCharacter(_ character: Character) -> Bool {
            isNameCharacter(character) || character == "/"
        }
    }
}
