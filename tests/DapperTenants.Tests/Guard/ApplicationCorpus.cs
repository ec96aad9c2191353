using DapperTenants.Catalog;
using Npgsql;
using NpgsqlTypes;

namespace DapperTenants.Tests.Guard;

/// <summary>
/// The application corpus (Corpus/application.sql): realistic commands of a multi-tenant application, each legitimate,
/// with Dapper-style placeholders bound by name, over the schema of Corpus/schema.sql.
/// </summary>
internal static class ApplicationCorpus
{
    public static readonly Guid AcmeInvoice = Guid.Parse("a0000000-0000-4000-8000-000000000001");

    /// <summary>The protected tables of Corpus/schema.sql, as the catalog reader would find them.</summary>
    public static TenantCatalog Catalog { get; } = new("app", false, false, "public",
    [
        new ProtectedTable("public", "customers", "tenant", "text", ["id", "tenant", "name", "email", "tags", "metadata", "created_at"]),
        new ProtectedTable("public", "orders", "tenant", "text", ["id", "tenant", "customer_id", "status", "total", "note", "created_at", "shipped_at"]),
        new ProtectedTable("public", "order_lines", "tenant", "text", ["id", "tenant", "order_id", "product_id", "quantity", "unit_price"]),
        new ProtectedTable("public", "invoices", "tenant", "text", ["id", "tenant", "order_id", "number", "issued_at", "due_at", "amount", "paid"]),
        new ProtectedTable("public", "payments", "tenant", "text", ["id", "tenant", "invoice_id", "amount", "method", "paid_at"]),
        new ProtectedTable("public", "events", "tenant", "text", ["id", "tenant", "kind", "payload", "at"]),
        new ProtectedTable("public", "documents", "tenant", "text", ["id", "tenant", "title", "body", "search"]),
        new ProtectedTable("public", "jobs", "tenant", "text", ["id", "tenant", "kind", "state", "attempts", "run_after", "payload"]),
    ]);

    public static IReadOnlyList<string> Protected { get; } = [.. Catalog.Tables.Select(t => t.Table)];

    public static string Schema => File.ReadAllText(PathOf("schema.sql"));

    /// <summary>The commands, in file order.</summary>
    public static IReadOnlyList<string> Commands()
    {
        var text = File.ReadAllText(PathOf("application.sql")).ReplaceLineEndings("\n");
        return [.. text.Split("\n---\n").Select(c => c.Trim()).Where(c => c.Length > 0)];
    }

    /// <summary>Adds a parameter for every placeholder name in the command, valued by its name.</summary>
    public static void Bind(NpgsqlParameterCollection parameters, string sql)
    {
        var tokens = DapperTenants.Guard.SqlLexer.Tokenize(sql);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tokens.Count; i++)
        {
            if (tokens.Kind(i) == DapperTenants.Guard.SqlTokenKind.Named && names.Add(tokens.Text(i)[1..].ToString()))
            {
                var name = tokens.Text(i)[1..].ToString();
                parameters.Add(Parameter(name));
            }
        }
    }

    private static NpgsqlParameter Parameter(string name) => name switch
    {
        "Tenant" => new(name, "acme"),
        "Id" => new(name, 9999),
        "OtherId" => new(name, 8888),
        "CustomerId" or "OrderId" => new(name, 1),
        "InvoiceId" => new(name, AcmeInvoice),
        "Ids" => new(name, NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = new[] { 2, 3, 9998 } },
        "Tags" => new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = new[] { "vip", "beta" } },
        "Limit" => new(name, 10),
        "Offset" => new(name, (object)0),
        "Total" or "Amount" => new(name, 12.5m),
        "Since" => new(name, new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc)),
        "Until" => new(name, new DateTime(2024, 1, 31, 0, 0, 0, DateTimeKind.Utc)),
        "At" => new(name, new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc)),
        "Payload" or "Metadata" => new(name, "{\"plan\": \"pro\"}"),
        "Name" or "Email" or "Pattern" or "Status" or "Tag" or "Search" or "Sku" or "Plan" or "Note" or "Number" or "Method" or "Kind"
            or "Title" or "Body" or "Action" or "Timeout" => new(name, Text(name)),
        _ => throw new InvalidOperationException($"The corpus uses the placeholder @{name}, which ApplicationCorpus.Parameter does not bind."),
    };

    private static string Text(string name) => name switch
    {
        "Email" => "new@example.com",
        "Pattern" => "a%",
        "Status" => "new",
        "Search" => "invoice",
        "Sku" => "SKU-1",
        "Number" => "INV-TEST-1",
        "Method" => "card",
        "Timeout" => "5s",
        _ => name.ToLowerInvariant() + " value",
    };

    private static string PathOf(string file)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "DapperTenants.sln")))
        {
            directory = directory.Parent;
        }

        return directory is null
            ? throw new FileNotFoundException("The repository root (DapperTenants.sln) is not above the test assembly.")
            : Path.Combine(directory.FullName, "tests", "DapperTenants.Tests", "Guard", "Corpus", file);
    }
}
