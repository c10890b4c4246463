namespace Ops.Architecture.Tests.Verification;

/// <summary>
/// Pack code a well-behaved author writes: pure computation over the kernel's contexts, records, async code, iterators,
/// LINQ, JSON, regular expressions, events. It must pass the allow-list, and between them it, the shipped packs, Ops.Shared,
/// the test kit's echo pack and the template use every line of the list (AllowListTests).
/// </summary>
internal static class BenignCorpus
{
    public const string Source = """
        using System.Collections.Immutable;
        using System.Collections.ObjectModel;
        using System.Collections.Frozen;
        using System.Diagnostics.CodeAnalysis;
        using System.Globalization;
        using System.Runtime.CompilerServices;
        using System.Text;
        using System.Text.Json;
        using System.Text.Json.Nodes;
        using System.Text.Json.Serialization;
        using System.Text.RegularExpressions;
        using Microsoft.Extensions.DependencyInjection;
        using Microsoft.Extensions.Logging;
        using Ops.Core.Egress;
        using Ops.Core.Envelopes;
        using Ops.Core.Errors;
        using Ops.Core.Identity;
        using Ops.Core.Packs;

        [assembly: System.Reflection.AssemblyMetadata("kind", "benign")]

        namespace Benign
        {
            public sealed class Entry : IOpsPack
            {
                public void Register(IPackBuilder builder)
                {
                    ArgumentNullException.ThrowIfNull(builder);
                    builder.Services.AddSingleton(new Calculator { Name = "sum" });
                    var section = builder.Configuration.GetSection("limits");
                    _ = section["max"] ?? section.Value;
                }
            }

            [Flags]
            internal enum Shade : short { None = 0, Light = 1, Dark = 2 }

            internal readonly record struct Amount(decimal Value, string Currency);

            internal sealed record Connection(HttpClient Client, string Name);

            internal sealed record Line(string Text, int Number, long Total, byte Level, uint Mask, ulong Big, double Ratio, bool Done, char Mark, Shade Shade);

            [AttributeUsage(AttributeTargets.Class)]
            internal sealed class NoteAttribute(string text) : Attribute { public string Text { get; } = text; }

            internal delegate int Folder(int a, int b);

            [Note("a calculator")]
            [System.Diagnostics.DebuggerNonUserCode]
            internal sealed class Calculator : IComparable<Calculator>, IComparable, IEquatable<Calculator>, IDisposable, IAsyncDisposable
            {
                private readonly Lazy<int> _seed = new(() => 7);

                public event EventHandler? Changed;

                public required string Name { get; init; }

                public int this[int index] => index * 2;

                public int CompareTo(Calculator? other) => string.CompareOrdinal(Name, other?.Name);

                public int CompareTo(object? obj) => obj is Calculator c ? CompareTo(c) : 1;

                public bool Equals(Calculator? other) => other is not null && other.Name == Name;

                public override bool Equals(object? obj) => Equals(obj as Calculator);

                public override int GetHashCode() => HashCode.Combine(Name, _seed.Value);

                public event EventHandler<EventArgs>? Typed;

                public void Dispose()
                {
                    Changed?.Invoke(this, EventArgs.Empty);
                    Typed?.Invoke(this, EventArgs.Empty);
                }

                public ValueTask DisposeAsync() => ValueTask.CompletedTask;

                private static readonly Regex WordPattern = new("^[a-z]+$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

                private static Regex Word() => WordPattern;

                [Obsolete("use Sum")]
                public static int Add(int a, int b) => a + b;

                public static int Sum(params int[] values) => values.Sum();

                public static bool TryParse([NotNullWhen(true)] string? text, out int value) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);

                public static string Describe(Line line, DateOnly day, TimeSpan span, DateTime at, DateTimeOffset when, Guid id, Uri uri)
                {
                    var builder = new StringBuilder();
                    builder.Append(line.Text).Append(Environment.NewLine).Append(day.ToString("O", CultureInfo.InvariantCulture));
                    builder.Append(span.TotalSeconds).Append(at.Year).Append(when.ToUnixTimeSeconds()).Append(id.ToString("N"));
                    builder.Append(uri.GetLeftPart(UriPartial.Authority)).Append(Uri.TryCreate("https://x", UriKind.Absolute, out var parsed) ? parsed.Host : "");
                    builder.Append(Math.Max(line.Ratio, 1.5)).Append(Convert.ToBase64String(BitConverter.GetBytes(line.Total)));
                    builder.Append(Encoding.UTF8.GetString(new UTF8Encoding(false).GetBytes("x"))).Append(Word().IsMatch(line.Text));
                    builder.Append(DateTime.Parse("2026-01-01", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal).Ticks);
                    builder.Append(Nullable.GetUnderlyingType(typeof(int?)) is null);
                    return builder.ToString();
                }

                public static IReadOnlyList<string> Words(string text)
                {
                    ReadOnlySpan<char> span = text.AsSpan();
                    Span<int> counts = new int[4];
                    Memory<char> memory = text.ToCharArray();
                    ReadOnlyMemory<char> readOnly = memory;
                    counts[0] = span.IndexOf(' ') + readOnly.Length;
                    var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    var slice = parts[1..^1];
                    var last = parts[^1];
                    var sorted = parts.Order(StringComparer.Ordinal).ThenBy(p => p.Length).ToList();
                    var groups = sorted.GroupBy(p => p.Length).Select(g => g.Key).ToLookup(k => k % 2);
                    var immutable = ImmutableArray.Create(parts);
                    var frozen = parts.Distinct().ToFrozenSet(StringComparer.Ordinal);
                    var readOnlyList = new ReadOnlyCollection<string>(sorted);
                    System.Collections.IEnumerable untyped = readOnlyList;
                    Predicate<string> longWord = w => w.Length > 3;
                    Comparison<string> byLength = (a, b) => a.Length.CompareTo(b.Length);
                    sorted.Sort(byLength);
                    Array.Sort(parts, StringComparer.OrdinalIgnoreCase);
                    Func<int> one = () => 1;
                    Func<int, int, int, int> three = (a, b, c) => a + b + c;
                    Action<string> ignore = _ => { };
                    Action nothing = () => { };
                    Folder fold = (a, b) => a + b;
                    ignore(last);
                    nothing();
                    (int Count, string First, bool Any) summary = (slice.Length, sorted.FirstOrDefault() ?? "", groups.Contains(0));
                    return [.. sorted.FindAll(longWord), summary.First, $"{one() + three(1, 2, 3) + fold(1, 2) + immutable.Length + frozen.Count}", untyped.ToString() ?? ""];
                }

                public static async IAsyncEnumerable<int> CountAsync(int to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
                {
                    for (var i = 0; i < to; i++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        await Task.CompletedTask.ConfigureAwait(false);
                        yield return i;
                    }
                }

                public static IEnumerable<int> Evens(int to)
                {
                    for (var i = 0; i < to; i += 2)
                    {
                        yield return i;
                    }
                }

                public static async Task<int> TotalAsync(CancellationToken cancellationToken)
                {
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    using var registration = linked.Token.Register(() => { });
                    var source = new TaskCompletionSource<int>();
                    source.SetResult(1);
                    var total = await source.Task.ConfigureAwait(false);
                    await foreach (var i in CountAsync(3, linked.Token).ConfigureAwait(false))
                    {
                        total += i;
                    }

                    await Task.FromResult(0);
                    return total + await new ValueTask<int>(2);
                }

                public static async ValueTask NothingAsync() => await Task.CompletedTask;

                public static int Guarded(Func<int> work)
                {
                    try
                    {
                        return work();
                    }
                    catch (ArgumentOutOfRangeException) { return -1; }
                    catch (ArgumentException) { return -2; }
                    catch (FormatException) { return -3; }
                    catch (OverflowException) { return -4; }
                    catch (IndexOutOfRangeException) { return -5; }
                    catch (KeyNotFoundException) { return -6; }
                    catch (TaskCanceledException) { return -7; }
                    catch (OperationCanceledException) { return -8; }
                    catch (ObjectDisposedException) { return -9; }
                    catch (NotSupportedException) { return -10; }
                    catch (NotImplementedException) { return -11; }
                    catch (InvalidOperationException) { return -12; }
                    catch (HttpRequestException) { return -13; }
                    catch (InvalidDataException) { return -14; }
                    catch (JsonException) { return -15; }
                    catch (OpsException) { return -16; }
                }
            }

            internal static class Shapes
            {
                private static readonly int[] Primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];

                public static int Digits(this int value) => value.ToString(CultureInfo.InvariantCulture).Length;

                public static string Format<T>(T value) where T : IFormattable => value.ToString(null, CultureInfo.InvariantCulture);

                public static int Width<T>(T value) where T : ISpanFormattable => value.TryFormat(new char[32], out var written, default, null) ? written : 0;

                public static T Parse<T>(string text) where T : IParsable<T> => T.Parse(text, CultureInfo.InvariantCulture);

                public static async Task TouchAsync(CancellationToken cancellationToken) => await Task.CompletedTask.WaitAsync(cancellationToken);

                public static int Mix(Action<int, int> pair, Action<int, int> other)
                {
                    pair(1, 2);
                    ReadOnlySpan<int> small = [1, 2, 3, 4];
                    List<int> list = [.. Primes, .. small];
                    var segment = new ArraySegment<int>(Primes, 1, 2);
                    var rune = new System.Text.Rune('a');
                    var same = pair == other || pair != other;
                    var types = typeof(int) != typeof(long);
                    return list.Count + segment.Count + rune.Value + (same ? 1 : 0) + (types ? 1 : 0) + Primes.Length + small.Length;
                }
            }

            internal sealed class Payload
            {
                [JsonPropertyName("text")]
                public string Text { get; set; } = "";

                public static string RoundTrip(Payload payload)
                {
                    var json = JsonSerializer.Serialize(payload, OpsJson.Options);
                    var node = JsonNode.Parse(json)!.AsObject();
                    node["extra"] = 1;
                    using var document = JsonDocument.Parse(node.ToJsonString());
                    var buffer = new System.Buffers.ArrayBufferWriter<byte>();
                    using (var writer = new Utf8JsonWriter(buffer))
                    {
                        document.WriteTo(writer);
                    }

                    using var stream = new MemoryStream(buffer.WrittenSpan.ToArray());
                    return JsonSerializer.Deserialize<Payload>(stream)!.Text + ContentHash.Of(Encoding.UTF8.GetBytes(json));
                }
            }

            internal static class HttpShapes
            {
                public static HttpRequestMessage Request(Uri uri)
                {
                    var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
                    request.Headers.Accept.ParseAdd("application/json");
                    return request;
                }

                public static async Task<string> SendAsync(HttpClient kernelClient, HttpRequestMessage request, CancellationToken cancellationToken)
                {
                    using var response = await kernelClient.SendAsync(request, cancellationToken);
                    return response.StatusCode == System.Net.HttpStatusCode.OK ? await response.Content.ReadAsStringAsync(cancellationToken) : "";
                }
            }

            internal static class Log
            {
                private static readonly Action<ILogger, int, Exception?> CountedMessage = LoggerMessage.Define<int>(LogLevel.Information, new EventId(1, "Counted"), "counted {Count}");

                public static void Counted(ILogger logger, int count) => CountedMessage(logger, count, null);

                public static void Plain(ILogger<Calculator> logger) => logger.LogInformation("plain");
            }

            internal sealed class Echo : IEgressHandler<Payload>
            {
                public ValueTask<EgressResult> DispatchAsync(EgressCall<Payload> call, CancellationToken cancellationToken) =>
                    ValueTask.FromResult(call.Http is null ? EgressResult.Failed(0, "no client") : EgressResult.Executed(200));

                public ValueTask<EgressResult> CompensateAsync(EgressCall<Payload> call, CancellationToken cancellationToken) => throw new NotImplementedException();
            }
        }
        """;
}
