using Ops.Core.Packs;
using Ops.Packs.Notes.Contracts;

namespace Ops.Packs.Undeclared;

/// <summary>Fixture: uses a type of Ops.Packs.Notes.Contracts but does not list it in depends_on.</summary>
public sealed class UndeclaredPack : IOpsPack
{
    public void Register(IPackBuilder builder) => builder.AddEvent<Echo>("pack.undeclared.echo.Echoed");
}

internal sealed record Echo(string Title)
{
    public static Echo Of(NoteCreated created) => new(created.Title);
}
