namespace Ops.Packs.Evil;

/// <summary>Planted: its own HTTP client and socket handler, around the kernel's fenced egress.</summary>
internal static class OwnHttpClient
{
    public static HttpClient Create() => new(new SocketsHttpHandler());
}
