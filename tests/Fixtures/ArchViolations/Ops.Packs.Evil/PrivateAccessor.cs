using System.Runtime.CompilerServices;
using Ops.Core.Packs;

namespace Ops.Packs.Evil;

/// <summary>Planted: UnsafeAccessor, which reaches private members without reflection calls.</summary>
internal static class PrivateAccessor
{
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_PackId")]
    public static extern string PackIdOf(PackLoadException exception);
}
