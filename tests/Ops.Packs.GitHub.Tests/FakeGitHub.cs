using System.Net;
using System.Text;
using Ops.Core.Packs;

namespace Ops.Packs.GitHub.Tests;

/// <summary>An HTTP handler that answers from a script and records every request it saw.</summary>
internal sealed class FakeGitHubHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
{
    public List<HttpRequestMessage> Requests { get; } = [];

    public static HttpResponseMessage Json(string body, HttpStatusCode status = HttpStatusCode.OK, params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Add(request);
        return Task.FromResult(answer(request));
    }
}

/// <summary>A pull context as the kernel's runner would give it, with the HTTP client over a fake handler.</summary>
internal sealed class FakePullContext(HttpMessageHandler handler, string? cursor = null, string? watermark = null, TimeProvider? time = null) : ConnectorPullContext
{
    public List<(string SecretId, Uri Audience, string Scheme)> Issued { get; } = [];

    public override string ConnectorId => "github.issues";

    public override string? Cursor => cursor;

    public override string? Watermark => watermark;

    public override TimeProvider Time => time ?? TimeProvider.System;

    public override ValueTask<HttpClient> CreateHttpClientAsync(string secretId, Uri audience, string scheme, CancellationToken cancellationToken)
    {
        Issued.Add((secretId, audience, scheme));
        return ValueTask.FromResult(new HttpClient(handler, disposeHandler: false) { BaseAddress = audience });
    }
}
