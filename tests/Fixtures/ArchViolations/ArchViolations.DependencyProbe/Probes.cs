using System.ComponentModel;
using ArchViolations.DependencyProbe.Target;

namespace ArchViolations.DependencyProbe.Probes;

public class ViaBaseType : Marker;

public sealed class ViaInterface : IMarker;

public sealed class ViaField
{
    public Marker? Field;
}

public sealed class ViaProperty
{
    public Marker? Property => null;
}

public static class ViaParameter
{
    public static string? Take(Marker marker) => marker?.ToString();
}

public static class ViaReturnType
{
    public static Marker? Give() => null;
}

public static class ViaGenericArgument
{
    public static IReadOnlyList<object> Many() => new List<Marker>();
}

public static class ViaGenericConstraint
{
    public static T Same<T>(T value)
        where T : IMarker => value;
}

public static class ViaStaticCall
{
    public static int Call() => Marker.Count();
}

public static class ViaNewObject
{
    public static object Create() => new Marker();
}

public static class ViaTypeof
{
    public static Type Token() => typeof(Marker);
}

public static class ViaStaticField
{
    public static int Read() => Marker.Shared;
}

public static class ViaMethodGroup
{
    public static Func<int> Later() => Marker.Count;
}

[Marker]
public sealed class ViaAttribute;

[TypeConverter(typeof(Marker))]
public sealed class ViaAttributeArgument;

public static class ViaCatch
{
    public static bool Try(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            action();
            return true;
        }
        catch (MarkerException)
        {
            return false;
        }
    }
}

public static class ViaLambda
{
    public static Func<object> Later() => () => new Marker();
}

public static class ViaAsyncMethod
{
    public static async Task<int> LaterAsync()
    {
        await Task.Yield();
        return Marker.Count();
    }
}

public static class ViaNestedType
{
    public static class Inner
    {
        public static object Make() => new Marker();
    }
}

public static class Clean
{
    public static int Add(int a, int b) => a + b;
}
