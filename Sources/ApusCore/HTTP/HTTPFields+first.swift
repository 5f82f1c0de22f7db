public import HTTPTypes

extension HTTPFields {
    /// The value of the first `name` field, for fields a request sends once (`User-Agent`,
    /// `Authorization`, `X-Request-ID`): one scan and no copy, where the subscript scans twice and
    /// joins repeats into a new string. Fields that may repeat and must be read whole
    /// (`X-Forwarded-For`) go through the subscript.
    @inlinable
    package func first(_ name: HTTPField.Name) -> String? {
        for field in self where field.name == name { return field.value }
        return nil
    }
}
