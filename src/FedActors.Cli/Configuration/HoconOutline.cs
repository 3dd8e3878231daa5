using System.Text;

namespace FedActors.Cli.Configuration;

/// <summary>
/// A light structural pass over HOCON text: it finds syntax errors with their line (Akka's own
/// parser accepts most broken text silently and never reports a line), and remembers the line
/// where each key is first set, so that errors about a key can point into the user's file.
/// </summary>
internal sealed class HoconOutline
{
    private readonly Dictionary<string, int> _lines;

    private HoconOutline(Dictionary<string, int> lines) => _lines = lines;

    /// <summary>The line where <paramref name="path"/> (or the first key under it) is set, if the text sets it.</summary>
    public int? LineOf(string path)
    {
        if (_lines.TryGetValue(path, out var line))
        {
            return line;
        }

        var below = _lines.Where(kv => kv.Key.StartsWith(path + ".", StringComparison.Ordinal)).Select(kv => kv.Value).ToList();
        return below.Count > 0 ? below.Min() : null;
    }

    /// <summary>Checks <paramref name="text"/> and maps its keys to lines.</summary>
    /// <exception cref="HoconSyntaxException">The text is not well-formed HOCON.</exception>
    public static HoconOutline Parse(string text)
    {
        var scanner = new Scanner(text);
        scanner.ParseRoot();
        return new HoconOutline(scanner.Lines);
    }

    private sealed class Scanner(string text)
    {
        private const string ValueStops = "{}[],\"#";
        private int _pos;
        private int _line = 1;

        public Dictionary<string, int> Lines { get; } = new(StringComparer.Ordinal);

        private bool AtEnd => _pos >= text.Length;

        private char Peek(int ahead = 0) => _pos + ahead < text.Length ? text[_pos + ahead] : '\0';

        public void ParseRoot()
        {
            SkipSeparators();
            if (Peek() == '{')
            {
                var open = _line;
                _pos++;
                ParseObjectBody(string.Empty, open);
                SkipSeparators();
                if (!AtEnd)
                {
                    throw Error($"unexpected '{Peek()}' after the closing '}}' of the document");
                }
            }
            else
            {
                ParseObjectBody(string.Empty, openLine: null);
            }
        }

        // openLine is null for the unbraced root object, which ends at the end of the text.
        private void ParseObjectBody(string? prefix, int? openLine)
        {
            while (true)
            {
                SkipSeparators();
                if (AtEnd)
                {
                    if (openLine is { } open)
                    {
                        throw Error($"'{{' opened on line {open} is never closed");
                    }

                    return;
                }

                var c = Peek();
                if (c == '}')
                {
                    if (openLine is null)
                    {
                        throw Error("unexpected '}' (no '{' is open)");
                    }

                    _pos++;
                    return;
                }

                if (c is ']' or '=' or ':')
                {
                    throw Error($"unexpected '{c}' where a key was expected");
                }

                ParseField(prefix);
            }
        }

        private void ParseField(string? prefix)
        {
            var keyLine = _line;
            var segments = ParseKey();
            SkipInlineSpace();
            if (segments is ["include"] && Peek() is '"' or 'f' or 'c' or 'u' or 'r')
            {
                SkipToEndOfLine();
                return;
            }

            var path = Record(prefix, segments, keyLine);
            var key = string.Join('.', segments);
            switch (Peek())
            {
                case '{':
                    var open = _line;
                    _pos++;
                    ParseObjectBody(path, open);
                    break;
                case '=' or ':':
                    _pos++;
                    ParseValue(path, key);
                    break;
                case '+' when Peek(1) == '=':
                    _pos += 2;
                    ParseValue(path, key);
                    break;
                default:
                    throw Error($"expected '=', ':' or '{{' after the key '{key}'");
            }
        }

        private string? Record(string? prefix, List<string> segments, int line)
        {
            if (prefix is null)
            {
                return null;
            }

            var path = prefix;
            foreach (var segment in segments)
            {
                path = path.Length == 0 ? segment : $"{path}.{segment}";
                Lines.TryAdd(path, line);
            }

            return path;
        }

        private List<string> ParseKey()
        {
            var segments = new List<string>();
            var current = new StringBuilder();
            var any = false;
            while (!AtEnd)
            {
                var c = Peek();
                if (c == '"')
                {
                    var quoted = ReadQuoted();
                    current.Append(quoted.Contains('.') ? $"\"{quoted}\"" : quoted);
                    any = true;
                }
                else if (c == '.')
                {
                    segments.Add(current.ToString());
                    current.Clear();
                    _pos++;
                }
                else if (char.IsWhiteSpace(c) || "{}[]=:,+#\"$".Contains(c) || IsCommentStart())
                {
                    break;
                }
                else
                {
                    current.Append(c);
                    any = true;
                    _pos++;
                }
            }

            if (!any)
            {
                throw Error(AtEnd ? "a key is cut short at the end of the text" : $"unexpected '{Peek()}' where a key was expected");
            }

            segments.Add(current.ToString());
            if (segments.Any(s => s.Length == 0))
            {
                throw Error($"the key '{string.Join('.', segments)}' has an empty part");
            }

            return segments;
        }

        // A value: one or more concatenated pieces up to the end of the line, a comma or a closing bracket.
        private void ParseValue(string? path, string key)
        {
            SkipInlineSpace();
            if (AtEnd || Peek() is '\n' or '\r' or ',' or '}' or ']' || IsCommentStart())
            {
                throw Error($"the key '{key}' has no value");
            }

            while (!AtEnd && Peek() is not ('\n' or '\r' or ',' or '}' or ']') && !IsCommentStart())
            {
                var c = Peek();
                if (c == '{')
                {
                    var open = _line;
                    _pos++;
                    ParseObjectBody(path, open);
                }
                else if (c == '[')
                {
                    ParseArray();
                }
                else if (c == '"')
                {
                    ReadQuoted();
                }
                else if (c == '$' && Peek(1) == '{')
                {
                    SkipSubstitution();
                }
                else if (c == '=')
                {
                    throw Error($"unexpected '=' in the value of '{key}' (is a line break missing?)");
                }
                else if (c is ' ' or '\t')
                {
                    _pos++;
                }
                else
                {
                    while (!AtEnd && !char.IsWhiteSpace(Peek()) && !ValueStops.Contains(Peek()) && Peek() != ']' && !IsCommentStart()
                        && !(Peek() == '$' && Peek(1) == '{') && Peek() != '=')
                    {
                        _pos++;
                    }
                }
            }
        }

        private void ParseArray()
        {
            var open = _line;
            _pos++;
            while (true)
            {
                SkipSeparators();
                if (AtEnd)
                {
                    throw Error($"'[' opened on line {open} is never closed");
                }

                if (Peek() == ']')
                {
                    _pos++;
                    return;
                }

                if (Peek() == '}')
                {
                    throw Error($"unexpected '}}' inside the '[' opened on line {open}");
                }

                ParseValue(path: null, key: "array element");
            }
        }

        private string ReadQuoted()
        {
            var startLine = _line;
            if (Peek(1) == '"' && Peek(2) == '"')
            {
                _pos += 3;
                var end = text.IndexOf("\"\"\"", _pos, StringComparison.Ordinal);
                if (end < 0)
                {
                    _line += text.AsSpan(_pos).Count('\n');
                    _pos = text.Length;
                    throw new HoconSyntaxException(startLine, "a \"\"\" string is never closed");
                }

                var body = text[_pos..end];
                _line += body.Count(ch => ch == '\n');
                _pos = end + 3;
                while (Peek() == '"')
                {
                    _pos++;
                }

                return body;
            }

            _pos++;
            var value = new StringBuilder();
            while (true)
            {
                if (AtEnd || Peek() is '\n' or '\r')
                {
                    throw new HoconSyntaxException(startLine, "a quoted string is not closed on its line");
                }

                var c = text[_pos++];
                if (c == '"')
                {
                    return value.ToString();
                }

                if (c == '\\' && !AtEnd)
                {
                    c = text[_pos++];
                }

                value.Append(c);
            }
        }

        private void SkipSubstitution()
        {
            var close = text.IndexOf('}', _pos);
            var newline = text.IndexOf('\n', _pos);
            if (close < 0 || (newline >= 0 && newline < close))
            {
                throw Error("a '${' substitution is not closed on its line");
            }

            _pos = close + 1;
        }

        private bool IsCommentStart() => Peek() == '#' || (Peek() == '/' && Peek(1) == '/');

        private void SkipInlineSpace()
        {
            while (Peek() is ' ' or '\t' || (Peek() != '\n' && Peek() != '\r' && !AtEnd && char.IsWhiteSpace(Peek())))
            {
                _pos++;
            }
        }

        private void SkipToEndOfLine()
        {
            while (!AtEnd && Peek() != '\n')
            {
                _pos++;
            }
        }

        // Whitespace, line breaks, commas and comments between fields or elements.
        private void SkipSeparators()
        {
            while (!AtEnd)
            {
                var c = Peek();
                if (c == '\n')
                {
                    _line++;
                    _pos++;
                }
                else if (char.IsWhiteSpace(c) || c == ',')
                {
                    _pos++;
                }
                else if (IsCommentStart())
                {
                    SkipToEndOfLine();
                }
                else
                {
                    return;
                }
            }
        }

        private HoconSyntaxException Error(string message) => new(_line, message);
    }
}

/// <summary>HOCON text that is not well-formed, with the line where the problem was found.</summary>
internal sealed class HoconSyntaxException(int line, string message) : Exception(message)
{
    /// <summary>1-based line of the problem.</summary>
    public int Line { get; } = line;
}
