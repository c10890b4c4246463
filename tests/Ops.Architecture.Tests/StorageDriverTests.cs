using System.Xml.Linq;
using Ops.Architecture.Tests.Engine;
using Ops.Architecture.Tests.Layout;

namespace Ops.Architecture.Tests;

/// <summary>
/// Issue 21 item 1: only the storage providers (<c>src/Ops.Storage.*</c>) may reference a database driver, so
/// Ops.Core, the SDK, the test kit, contracts and packs carry no database stack and an embedder restores only the
/// engine it uses. A driver is not a hand-kept list: it is every assembly the worker ships (it ships all providers)
/// that defines an ADO.NET connection (a <see cref="System.Data.Common.DbConnection"/> subclass), and EF Core with its
/// providers (<c>Microsoft.EntityFrameworkCore*</c>), which bind a database the same way.
/// </summary>
public sealed class StorageDriverTests
{
    private static readonly Lazy<HashSet<string>> Drivers = new(FindDrivers);

    public static TheoryData<string> Libraries()
    {
        var data = new TheoryData<string>();
        foreach (var name in InternalsVisibleToTests.ProductionAssemblies.Keys.Where(n => !IsProvider(n)).Order(StringComparer.Ordinal))
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Libraries))]
    public void OnlyStorageProviders_ReferenceADatabaseDriver(string assemblyName)
    {
        var found = DriverReferences(InternalsVisibleToTests.ProductionAssemblies[assemblyName]);

        Assert.True(found.Count == 0, $"{assemblyName} references the database drivers {string.Join(", ", found)}: only a storage provider (src/Ops.Storage.*) may; reach storage through the kernel's seam (IStorageProvider), docs/architecture.md.");
    }

    [Fact]
    public void NoLibraryButAProvider_HasADriverPackageReference()
    {
        var offenders = new List<string>();
        foreach (var project in Directory.EnumerateFiles(Path.Combine(Repository.Root, "src"), "*.csproj", SearchOption.AllDirectories))
        {
            var name = Path.GetFileNameWithoutExtension(project);
            if (IsProvider(name) || name == "Ops.Host")
            {
                continue;
            }

            offenders.AddRange(PackageReferences(project).Where(IsDriverName).Select(p => $"{name} → {p}"));
        }

        Assert.True(offenders.Count == 0, "Package references to database drivers outside src/Ops.Storage.*: " + string.Join(", ", offenders));
    }

    [Fact]
    public void Rule_FailsOnAPlantedDriverReference()
    {
        // The evil pack fixture references EF Core's SQLite provider and uses Microsoft.Data.Sqlite directly.
        var found = DriverReferences(Repository.Fixture("Ops.Packs.Evil").Assembly);

        Assert.Contains("Microsoft.Data.Sqlite", found);
        Assert.Contains(found, f => f.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal));
        Assert.Contains(PackageReferences(Path.Combine(Repository.Root, "tests", "Fixtures", "ArchViolations", "Ops.Packs.Evil", "Ops.Packs.Evil.csproj")), IsDriverName);
    }

    [Fact]
    public void Drivers_AreFoundInTheWorkersOutput_ForEveryEngine()
    {
        Assert.Contains("Microsoft.Data.Sqlite", Drivers.Value);
        Assert.Contains("Npgsql", Drivers.Value);
        Assert.Contains("Microsoft.Data.SqlClient", Drivers.Value);
        Assert.Contains("Microsoft.EntityFrameworkCore.Relational", Drivers.Value);
    }

    [Fact]
    public void Providers_AreTheOnlyLibrariesThatReferenceDrivers_AndEachDoes()
    {
        foreach (var project in Repository.StorageProviderProjects.Where(p => !p.Contains("Relational", StringComparison.Ordinal)))
        {
            Assert.NotEmpty(DriverReferences(Repository.OutputOf(project)));
        }
    }

    private static bool IsProvider(string assemblyName) => assemblyName.StartsWith("Ops.Storage.", StringComparison.Ordinal);

    private static bool IsDriverName(string name) => Drivers.Value.Contains(name) || name.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal);

    private static List<string> DriverReferences(string assemblyPath) =>
        [.. AssemblyCache.Load(assemblyPath).MainModule.AssemblyReferences.Select(r => r.Name).Where(IsDriverName).Order(StringComparer.Ordinal)];

    private static IEnumerable<string> PackageReferences(string project) =>
        XDocument.Load(project).Descendants("PackageReference").Select(e => (string?)e.Attribute("Include")).OfType<string>();

    private static HashSet<string> FindDrivers()
    {
        var host = Path.GetDirectoryName(Repository.KernelAssemblies["Ops.Host"])!;
        var drivers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(host, "*.dll"))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (name.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal))
            {
                drivers.Add(name);
                continue;
            }

            if (name.StartsWith("Ops.", StringComparison.Ordinal) || name.StartsWith("System.", StringComparison.Ordinal))
            {
                continue;
            }

            try
            {
                using var module = Mono.Cecil.ModuleDefinition.ReadModule(file);
                if (module.Types.Any(t => !t.IsAbstract && t.BaseType?.FullName == "System.Data.Common.DbConnection"))
                {
                    drivers.Add(name);
                }
            }
            catch (BadImageFormatException)
            {
                // A native library: not an ADO.NET provider.
            }
        }

        return drivers;
    }
}
