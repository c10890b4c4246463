using System.CommandLine;
using System.Text.RegularExpressions;
using Ops.Host.Cli;

namespace Ops.Host.Tests;

/// <summary>
/// Issue 15 item 3, generated from the CLI's own verb tree: every option of every verb that takes a value other than
/// text is fed malformed values; each must be a usage error (exit 2) naming the option, with no .NET type name in what
/// the user reads. Parsing only: nothing runs.
/// </summary>
public sealed partial class CliMalformedValueTests
{
    /// <summary>What a user types by mistake, per kind of value.</summary>
    private static readonly string[] Malformed = ["abc", "1.5", "99999999999999999999", "2026-13-45", "x1"];

    /// <summary>Value kinds that take any text, so no value is malformed at parse time (their checks run in the kernel).</summary>
    private static readonly Type[] Text = [typeof(string), typeof(string[]), typeof(FileInfo), typeof(bool)];

    [Fact]
    public void EveryTypedOptionOfEveryVerb_RefusesMalformedValues_AsAUsageError_WithoutATypeName()
    {
        var root = AdminCli.Build(TextWriter.Null, TextWriter.Null);
        var failures = new List<string>();
        var options = 0;
        var tried = 0;
        foreach (var (path, command) in Leaves(root, []))
        {
            foreach (var option in command.Options.Where(o => !Text.Contains(o.ValueType) && o.Name is not ("--help" or "--version") && !o.GetType().Name.Contains("Help", StringComparison.Ordinal)))
            {
                options++;
                if (option.GetType().GetProperty("CustomParser")?.GetValue(option) is null)
                {
                    failures.Add($"{string.Join(' ', path)} {option.Name}: a {option.ValueType.Name} option not made by CliValues (its errors would name the .NET type)");
                    continue;
                }

                foreach (var value in Malformed.Where(v => !Accepts(option, v)))
                {
                    tried++;
                    var parsed = AdminCli.Parse(root, [.. path, option.Name, value]);
                    var messages = parsed.Errors.Select(e => e.Message).ToList();
                    if (!messages.Any(m => m.Contains(option.Name, StringComparison.Ordinal) && m.Contains(value, StringComparison.Ordinal)))
                    {
                        failures.Add($"{string.Join(' ', path)} {option.Name} {value}: no usage error naming the option and the value ({string.Join(" | ", messages)})");
                    }

                    failures.AddRange(messages.Where(m => TypeName().IsMatch(m)).Select(m => $"{string.Join(' ', path)} {option.Name} {value}: a type name in '{m}'"));
                }
            }
        }

        Console.WriteLine($"cli values: {options} typed options, {tried} malformed values, {failures.Count} failed");
        Assert.True(options >= 10, $"only {options} typed options found: the walk is broken");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public async Task AnOutOfRangeValue_IsRefused_NotClamped()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await AdminCli.RunAsync(["log", "tail", "--count", "0"], output, error);

        Assert.Equal(2, code);
        Assert.Contains("--count must be from 1 to 10000; 0 is out of range", error.ToString(), StringComparison.Ordinal);
        Assert.Empty(output.ToString());
    }

    /// <summary>Values that are well formed for this option's kind (a number for a number), which the loop skips.</summary>
    private static bool Accepts(Option option, string value)
    {
        var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
        return (type == typeof(int) || type == typeof(long)) && long.TryParse(value, out var n) && n is >= 1 and <= int.MaxValue;
    }

    private static IEnumerable<(string[] Path, Command Command)> Leaves(Command command, string[] path)
    {
        if (command.Subcommands.Count == 0)
        {
            yield return (path, command);
            yield break;
        }

        foreach (var sub in command.Subcommands.Where(c => c.Name != "run"))
        {
            foreach (var leaf in Leaves(sub, [.. path, sub.Name]))
            {
                yield return leaf;
            }
        }
    }

    /// <summary>What a .NET type name looks like in a message: a namespace-qualified name, a generic arity, or a CLR primitive's name.</summary>
    [GeneratedRegex(@"\bSystem\.|\bOps\.[A-Z]|`\d|\bInt32\b|\bInt64\b|\bNullable\b|\bDateTimeOffset\b|\bException\b")]
    private static partial Regex TypeName();
}
