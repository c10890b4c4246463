#pragma warning disable IDE0130 // the namespace is the planted violation
namespace System.Hidden;
#pragma warning restore IDE0130

/// <summary>Planted: a public implementation type declared in a System.* namespace, which NetArchTest.Rules never enumerates.</summary>
public sealed class LeakedInSystem
{
    public static string Handle(string input) => input;
}
