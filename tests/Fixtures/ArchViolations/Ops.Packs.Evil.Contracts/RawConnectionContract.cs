using System.Data.Common;

namespace Ops.Packs.Evil.Contracts;

/// <summary>Planted: a contract that hands out a database connection.</summary>
/// <param name="Connection">A raw ADO.NET connection.</param>
public sealed record RawConnectionContract(DbConnection Connection);
