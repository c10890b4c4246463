using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Data.Sqlite;
using Ops.Core.Commands;
using Ops.Core.Envelopes;
using Ops.Packs.GitHub.Contracts;

namespace Ops.Load;

/// <summary>
/// GitHub ingestion through the connector path (pull a page, deterministic ids, append with the
/// cursor in one transaction): synthetic pages of GitHub's issues JSON, in the shape of the recorded
/// paginate-issues fixture, served from an HttpListener on 127.0.0.1 with Link-header pagination.
/// Compared with a raw batched insert (batches of one page) of rows of the same size.
/// </summary>
internal static class GitHubScenario
{
    private const int PerPage = 100;
    private const string Repository = "bench-org/load-issues";

    public static async Task RunAsync(LoadOptions options, Report report)
    {
        var issues = options.GitHubIssues;
        var port = FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        using var server = new IssuePages(baseUrl, issues);
        var folder = Path.Combine(options.WorkDirectory, "github");
        var settings = new Dictionary<string, string?>
        {
            ["Ops:Packs:github:BaseUrl"] = baseUrl,
            ["Ops:Packs:github:Repository"] = Repository,
            ["Ops:Packs:github:PerPage"] = PerPage.ToString(CultureInfo.InvariantCulture),
            ["Ops:Secrets:github_token"] = "0000000000000000000000000000000000000001",
        };
        var kernelPath = Path.Combine(folder, "kernel.db");
        await using (var kernel = await KernelFactory.OpenAsync(kernelPath, options.Synchronous, extra: settings, withGitHub: true))
        {
            var caller = new CallerContext(new ActorRef("admin", ActorKind.Human), "bench");
            var watch = Stopwatch.StartNew();
            var result = await kernel.Connectors.SyncAsync(GitHubNames.IssuesConnectorId, caller, null, CancellationToken.None);
            var elapsed = watch.Elapsed;
            if (!result.Completed || result.Appended != issues)
            {
                throw new InvalidOperationException($"sync appended {result.Appended} of {issues} issues over {result.Pages} pages (completed: {result.Completed}).");
            }

            var envelope = SampleEnvelope(kernelPath);
            var dbSettings = DbSettings.Of(kernelPath, options.Synchronous);
            dbSettings["event_bytes"] = envelope.Length;
            dbSettings["page_size_issues"] = PerPage;
            dbSettings["batch_size"] = $"{PerPage} (one page per transaction, with the cursor)";
            dbSettings["rows"] = issues;
            dbSettings["pages"] = result.Pages;
            dbSettings["source"] = "synthetic GitHub issue pages on 127.0.0.1 (HttpListener), Link rel=next pagination";
            report.Settings("github", dbSettings);

            // Raw: the same number of rows of the same size, in transactions of one page each.
            using var raw = new RawLog(Path.Combine(folder, "raw.db"), options.Synchronous);
            var rows = new RawRows(new RowShape(envelope, 16, GitHubNames.IssueObservedEvent, 8));
            var rawElapsed = raw.InsertBatches(issues, PerPage, rows);
            var rate = issues / elapsed.TotalSeconds;
            var rawRate = issues / rawElapsed.TotalSeconds;
            report.Add(new Figure(
                "github",
                $"GitHub ingestion, {issues:N0} issues, {options.Synchronous} (events/s)",
                rate,
                rawRate,
                "events/s",
                null,
                null,
                new Dictionary<string, object> { ["pages"] = result.Pages, ["seconds"] = Math.Round(elapsed.TotalSeconds, 2), ["served_bytes"] = server.BytesServed }));
        }
    }

    private static byte[] SampleEnvelope(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT envelope FROM events WHERE event_type = '{GitHubNames.IssueObservedEvent}' ORDER BY position DESC LIMIT 1";
        return (byte[])command.ExecuteScalar()!;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Serves GET /repos/{owner}/{repo}/issues?per_page=N and /repositories/1000/issues?per_page=N&amp;page=P.</summary>
    private sealed class IssuePages : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly string _baseUrl;
        private readonly int _issues;
        private readonly Task _loop;

        public IssuePages(string baseUrl, int issues)
        {
            _baseUrl = baseUrl;
            _issues = issues;
            _listener.Prefixes.Add(baseUrl + "/");
            _listener.Start();
            _loop = Task.Run(ServeAsync);
        }

        public long BytesServed { get; private set; }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                try
                {
                    Respond(context);
                }
                catch (Exception ex) when (ex is HttpListenerException or IOException)
                {
                    // The client went away; the connector reports its own error.
                }
            }
        }

        private void Respond(HttpListenerContext context)
        {
            var request = context.Request;
            var response = context.Response;
            var path = request.Url!.AbsolutePath;
            if (path != $"/repos/{Repository}/issues" && path != "/repositories/1000/issues")
            {
                response.StatusCode = 404;
                response.Close();
                return;
            }

            var perPage = int.TryParse(request.QueryString["per_page"], CultureInfo.InvariantCulture, out var pp) ? pp : 30;
            var page = int.TryParse(request.QueryString["page"], CultureInfo.InvariantCulture, out var p) ? p : 1;
            var pages = (_issues + perPage - 1) / perPage;
            var first = ((page - 1) * perPage) + 1;
            var last = Math.Min(_issues, page * perPage);
            var body = new StringBuilder(perPage * 3_000);
            body.Append('[');
            for (var number = first; number <= last; number++)
            {
                if (number > first)
                {
                    body.Append(',');
                }

                AppendIssue(body, number);
            }

            body.Append(']');
            var bytes = Encoding.UTF8.GetBytes(body.ToString());
            BytesServed += bytes.Length;
            response.StatusCode = 200;
            response.ContentType = "application/json; charset=utf-8";
            if (page < pages)
            {
                response.AddHeader("Link", $"<{_baseUrl}/repositories/1000/issues?per_page={perPage}&page={page + 1}>; rel=\"next\", <{_baseUrl}/repositories/1000/issues?per_page={perPage}&page={pages}>; rel=\"last\"");
            }

            response.ContentLength64 = bytes.Length;
            response.OutputStream.Write(bytes);
            response.Close();
        }

        /// <summary>One issue in the shape of GitHub's REST answer (as in the recorded paginate-issues fixture).</summary>
        private static void AppendIssue(StringBuilder body, int number)
        {
            var updated = new DateTime(2017, 10, 10, 16, 0, 0, DateTimeKind.Utc).AddSeconds(number).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            var created = new DateTime(2017, 10, 10, 16, 0, 0, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            var open = number % 3 != 0;
            var labels = number % 2 == 0
                ? """[{"id":208045946,"node_id":"MDU6TGFiZWwyMDgwNDU5NDY=","url":"https://api.github.com/repos/bench-org/load-issues/labels/bug","name":"bug","color":"f29513","default":true,"description":"Something isn't working"}]"""
                : "[]";
            body.Append(CultureInfo.InvariantCulture, $$"""
                {"url":"https://api.github.com/repos/{{Repository}}/issues/{{number}}","repository_url":"https://api.github.com/repos/{{Repository}}","labels_url":"https://api.github.com/repos/{{Repository}}/issues/{{number}}/labels{/name}","comments_url":"https://api.github.com/repos/{{Repository}}/issues/{{number}}/comments","events_url":"https://api.github.com/repos/{{Repository}}/issues/{{number}}/events","html_url":"https://github.com/{{Repository}}/issues/{{number}}","id":{{1000 + number}},"node_id":"MDA6RW50aXR5MQ==","number":{{number}},"title":"Test issue {{number}}","user":{"login":"octokit-fixture-user-a","id":1000,"node_id":"MDA6RW50aXR5MQ==","avatar_url":"https://avatars.githubusercontent.com/u/1000?v=4","gravatar_id":"","url":"https://api.github.com/users/octokit-fixture-user-a","html_url":"https://github.com/octokit-fixture-user-a","followers_url":"https://api.github.com/users/octokit-fixture-user-a/followers","following_url":"https://api.github.com/users/octokit-fixture-user-a/following{/other_user}","gists_url":"https://api.github.com/users/octokit-fixture-user-a/gists{/gist_id}","starred_url":"https://api.github.com/users/octokit-fixture-user-a/starred{/owner}{/repo}","subscriptions_url":"https://api.github.com/users/octokit-fixture-user-a/subscriptions","organizations_url":"https://api.github.com/users/octokit-fixture-user-a/orgs","repos_url":"https://api.github.com/users/octokit-fixture-user-a/repos","events_url":"https://api.github.com/users/octokit-fixture-user-a/events{/privacy}","received_events_url":"https://api.github.com/users/octokit-fixture-user-a/received_events","type":"User","site_admin":false},"labels":{{labels}},"state":"{{(open ? "open" : "closed")}}","locked":false,"assignee":null,"assignees":[],"milestone":null,"comments":42,"created_at":"{{created}}","updated_at":"{{updated}}","closed_at":{{(open ? "null" : "\"" + updated + "\"")}},"author_association":"MEMBER","active_lock_reason":null,"body":null,"reactions":{"url":"https://api.github.com/repos/{{Repository}}/issues/{{number}}/reactions","total_count":0,"+1":0,"-1":0,"laugh":0,"hooray":0,"confused":0,"heart":0,"rocket":0,"eyes":0},"timeline_url":"https://api.github.com/repos/{{Repository}}/issues/{{number}}/timeline","performed_via_github_app":null,"state_reason":null}
                """);
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
