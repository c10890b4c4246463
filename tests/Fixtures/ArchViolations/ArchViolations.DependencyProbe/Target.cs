namespace ArchViolations.DependencyProbe.Target;

public class Marker
{
    public static readonly int Shared = 1;

    public static int Count() => 1;
}

public interface IMarker;

[AttributeUsage(AttributeTargets.All)]
public sealed class MarkerAttribute : Attribute;

public sealed class MarkerException : Exception
{
    public MarkerException()
    {
    }

    public MarkerException(string message)
        : base(message)
    {
    }

    public MarkerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
