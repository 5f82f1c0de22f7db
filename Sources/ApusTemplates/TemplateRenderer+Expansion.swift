import Mustache

extension TemplateRenderer {
    /// What rendering a template with some data takes, counted by walking its outline through
    /// the data as swift-mustache walks its tokens (the same context stack, name lookup,
    /// transforms and section rules) without writing any text.
    ///
    /// The count stops at the first limit it passes, so a template that would render for seconds
    /// is refused after at most `Limits.sectionPasses` passes.
    struct Expansion {
        /// Section bodies rendered.
        private(set) var sectionPasses = 0
        /// Variables and sections looked up.
        private(set) var lookups = 0
        /// UTF-8 bytes of output; at least what the render writes, as standalone tags lose their
        /// line and indentation goes on every token.
        private(set) var outputBytes = 0

        private let limits: Limits

        /// Counts the render of `outline` over `data` (a value `mustacheValue` made), starting
        /// with HTML escaping when `escapes`; throws when a limit would be exceeded.
        static func measure(_ outline: Outline, data: Any, escapes: Bool, limits: Limits) throws(LimitExceeded) -> Expansion {
            var expansion = Expansion(limits: limits)
            try expansion.walk(outline.nodes, in: Scope(stack: [data], position: nil, escapes: escapes, indentation: 0))
            return expansion
        }

        private init(limits: Limits) {
            self.limits = limits
        }

        /// What a body is rendered in: the library's `MustacheContext`, less what templates
        /// made from data never use (partials, lambdas).
        fileprivate struct Scope {
            var stack: [Any]
            var position: SequencePosition?
            var escapes: Bool
            var indentation: Int

            func entering(_ object: Any, at position: SequencePosition?) -> Scope {
                Scope(stack: stack + [object], position: position, escapes: escapes, indentation: indentation)
            }
        }

        private mutating func walk(_ nodes: [Outline.Node], in scope: Scope) throws(LimitExceeded) {
            var scope = scope
            for node in nodes {
                switch node {
                case .text(let bytes):
                    try write(bytes + scope.indentation)
                case .contentType(let escapes):
                    scope.escapes = escapes
                case .variable(let reference, let escaped):
                    try lookUp()
                    guard let value = Self.resolve(reference, in: scope) else { continue }
                    let text = String(describing: Self.unwrapped(value))
                    let bytes = escaped && scope.escapes ? HTMLEscaping.escapedLength(text) : text.utf8.count
                    if bytes > 0 { try write(bytes + scope.indentation) }
                case .section(let reference, let body):
                    try lookUp()
                    try section(body, value: Self.resolve(reference, in: scope), in: scope)
                case .invertedSection(let reference, let body):
                    try lookUp()
                    try invertedSection(body, value: Self.resolve(reference, in: scope), in: scope)
                case .block(let indentation, let body):
                    var inner = scope
                    inner.position = nil
                    inner.indentation += indentation
                    try pass(in: inner)
                    try walk(body, in: inner)
                }
            }
        }

        /// As the library's `renderSection`: each element of a list, a true flag once in the same
        /// context, any other value once on top of the stack.
        private mutating func section(_ body: [Outline.Node], value: Any?, in scope: Scope) throws(LimitExceeded) {
            switch value {
            case let sequence as any MustacheSequence:
                let elements = sequence as? [Any] ?? Self.elements(of: sequence)
                for (index, element) in elements.enumerated() {
                    try pass(in: scope)
                    let position = SequencePosition(first: index == 0, last: index == elements.count - 1, index: index)
                    try walk(body, in: scope.entering(element, at: position))
                }
            case let flag as Bool:
                guard flag else { return }
                try pass(in: scope)
                try walk(body, in: scope)
            case .some(let value):
                try pass(in: scope)
                try walk(body, in: scope.entering(value, at: nil))
            case .none:
                return
            }
        }

        /// As the library's `renderInvertedSection`: once for an empty list, a false flag or nothing.
        private mutating func invertedSection(_ body: [Outline.Node], value: Any?, in scope: Scope) throws(LimitExceeded) {
            switch value {
            case let sequence as any MustacheSequence:
                guard Self.elements(of: sequence).isEmpty else { return }
                try pass(in: scope)
                try walk(body, in: scope.entering(sequence, at: nil))
            case let flag as Bool:
                guard !flag else { return }
                try pass(in: scope)
                try walk(body, in: scope)
            case .some:
                return
            case .none:
                try pass(in: scope)
                try walk(body, in: scope)
            }
        }

        private mutating func lookUp() throws(LimitExceeded) {
            lookups += 1
            guard lookups <= limits.lookups else { throw LimitExceeded(limit: .lookups, value: limits.lookups) }
        }

        /// One more rendered body; inside a block it may also bring one more indentation.
        private mutating func pass(in scope: Scope) throws(LimitExceeded) {
            sectionPasses += 1
            guard sectionPasses <= limits.sectionPasses else {
                throw LimitExceeded(limit: .sectionPasses, value: limits.sectionPasses)
            }
            if scope.indentation > 0 { try write(scope.indentation) }
        }

        private mutating func write(_ bytes: Int) throws(LimitExceeded) {
            outputBytes += bytes
            guard outputBytes <= limits.outputBytes else { throw LimitExceeded(limit: .outputBytes, value: limits.outputBytes) }
        }
    }
}

extension TemplateRenderer.Expansion {
    /// The value `reference` names in `scope`, as the library's `getChild` finds it.
    fileprivate static func resolve(_ reference: TemplateRenderer.Outline.Reference, in scope: Scope) -> Any? {
        let name = reference.name
        var child: Any?
        if name == "." {
            child = scope.stack.last
        } else if name.isEmpty, !reference.transforms.isEmpty {
            child = scope.position
        } else if name.first == "." {
            child = scope.stack.last.flatMap { descend(reference.path[...], from: $0) }
        } else {
            child = climb(reference.path[...], through: scope.stack)
        }
        if let found = child, !isPlain(found), let custom = found as? any MustacheCustomRepresentation {
            child = custom.representation
        }
        guard var child else { return nil }
        for transform in reference.transforms.reversed() {
            guard let transformable = child as? any MustacheTransformable, let transformed = transformable.transform(transform) else {
                return nil
            }
            child = transformed
        }
        return child
    }

    /// The first name from the innermost object that has it, the rest from there.
    private static func climb(_ names: ArraySlice<String>, through stack: [Any]) -> Any? {
        guard let first = names.first else { return stack.last }
        for object in stack.reversed() {
            if let child = immediateChild(first, of: object) {
                return descend(names.dropFirst(), from: child)
            }
        }
        return nil
    }

    private static func descend(_ names: ArraySlice<String>, from object: Any) -> Any? {
        guard let first = names.first else { return object }
        guard let child = immediateChild(first, of: object) else { return nil }
        return descend(names.dropFirst(), from: child)
    }

    /// A dictionary's member, or a stored property (such as `key` of an enumerated entry).
    private static func immediateChild(_ name: String, of object: Any) -> Any? {
        // The values `mustacheValue` makes, without the casts and the Mirror the library's
        // lookup goes through to the same end.
        let type = type(of: object)
        if type == [String: Any].self, let dictionary = object as? [String: Any] { return dictionary[name] }
        if isPlain(object) { return nil }
        let resolved: Any?
        if let custom = object as? any MustacheCustomRepresentation {
            resolved = custom.representation
        } else {
            resolved = object
        }
        if let parent = resolved as? any MustacheParent {
            return parent.child(named: name)
        }
        guard let resolved, let match = Mirror(reflecting: resolved).children.first(where: { $0.label == name }) else {
            return nil
        }
        let mirror = Mirror(reflecting: match.value)
        guard mirror.displayStyle == .optional else { return match.value }
        return mirror.children.first?.value
    }

    /// A list, text, number or flag exactly (not an optional holding one): no custom
    /// representation, and no labelled children for a lookup to find.
    private static func isPlain(_ value: Any) -> Bool {
        let type = type(of: value)
        return type == [Any].self || type == String.self || type == Int.self || type == Double.self || type == Bool.self
    }

    fileprivate static func elements(of sequence: some Sequence) -> [Any] {
        sequence.map { $0 }
    }

    /// What an optional holds, as the library prints it; a value as it is.
    fileprivate static func unwrapped(_ value: Any) -> Any {
        guard let optional = value as? any OptionalValue else { return value }
        return optional.unwrappedAny ?? value
    }
}

/// An element's place in a list, as `{{#first()}}`, `{{index()}}` and the like read it (the
/// library's `MustacheSequenceContext`, which it does not export).
private struct SequencePosition: MustacheTransformable {
    var first: Bool
    var last: Bool
    var index: Int

    func transform(_ name: String) -> Any? {
        switch name {
        case "first": first
        case "last": last
        case "index": index
        case "even": index & 1 == 0
        case "odd": index & 1 == 1
        default: nil
        }
    }
}

private protocol OptionalValue {
    var unwrappedAny: Any? { get }
}

extension Optional: OptionalValue {
    fileprivate var unwrappedAny: Any? { self }
}
