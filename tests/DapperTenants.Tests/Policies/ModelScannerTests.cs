using System.ComponentModel.DataAnnotations.Schema;
using DapperTenants.Policies;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Policies;

/// <summary>How [Rls] types become table models, and the exact messages for types that cannot.</summary>
[Category(Categories.Unit)]
public sealed class ModelScannerTests
{
    private const string Prefix = "DapperTenants.Tests.Policies.ModelScannerTests.";

    private NpgsqlDataSource _offline = null!;

    [OneTimeSetUp]
    public void CreateOfflineDataSource() => _offline = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody;Database=none");

    [OneTimeTearDown]
    public void DisposeOfflineDataSource() => _offline.Dispose();

    [TestCase("CustomerData", "customer_data")]
    [TestCase("Invoice", "invoice")]
    [TestCase("HTTPRequest", "http_request")]
    [TestCase("OrderV2", "order_v2")]
    [TestCase("TenantId", "tenant_id")]
    [TestCase("already_snake", "already_snake")]
    public void Snake_case_splits_words_and_never_pluralizes(string name, string expected) =>
        Identifiers.SnakeCase(name).ShouldBe(expected);

    [Test]
    public void Conventions_name_the_table_schema_and_tenant_column()
    {
        var models = ModelScanner.Build([typeof(CustomerData), typeof(Invoice), typeof(NamedByRls), typeof(NamedByTable), typeof(SchemaOnRlsWins),
            typeof(ColumnAttributeNamesTenant), typeof(ExplicitTenantColumn), typeof(NullableGuidTenant), typeof(ShortTenant)]);

        models.Select(m => $"{m.Schema}.{m.Table}.{m.TenantColumn}:{m.Type.Cast}:{m.SharedRows}").ShouldBe([
            "public.customer_data.tenant:text:False",
            "public.invoice.tenant_id:bigint:False",
            "public.ledger.tenant:integer:True",
            "billing.Payments.tenant:uuid:False",
            "rls_schema.table_name.tenant:text:False",
            "public.column_attribute_names_tenant.org:text:False",
            "public.explicit_tenant_column.owner_org:text:False",
            "public.nullable_guid_tenant.tenant_id:uuid:False",
            "public.short_tenant.tenant:smallint:False",
        ]);
        models[0].Sources.ShouldBe([Prefix + "CustomerData.Tenant"]);
    }

    [Test]
    public void Two_classes_mapping_one_table_the_same_way_make_one_model()
    {
        var models = ModelScanner.Build([typeof(Invoice), typeof(InvoiceSummary)]);

        models.Count.ShouldBe(1);
        models[0].Sources.ShouldBe([Prefix + "Invoice.TenantId", Prefix + "InvoiceSummary.TenantId"]);
    }

    [Test]
    public void A_class_without_a_tenant_property_is_refused() =>
        Problems<NoTenant>().ShouldBe(Message(
            $"{Prefix}NoTenant has no tenant property: add a property named Tenant or TenantId, or name the tenant column with [Rls(TenantColumn = \"...\")]."));

    [Test]
    public void A_class_with_both_Tenant_and_TenantId_is_refused() =>
        Problems<BothTenantProperties>().ShouldBe(Message(
            $"{Prefix}BothTenantProperties has both Tenant and TenantId properties: choose the tenant column with [Rls(TenantColumn = \"...\")]."));

    [Test]
    public void An_unsupported_tenant_type_is_refused() =>
        Problems<DecimalTenant>().ShouldBe(Message(
            $"{Prefix}DecimalTenant.Tenant is decimal?; a tenant property must be string, Guid, int, long or short (or a nullable one of them)."));

    [Test]
    public void A_tenant_column_that_no_property_maps_is_refused() =>
        Problems<UnmappedTenantColumn>().ShouldBe(Message(
            $"{Prefix}UnmappedTenantColumn has no property for the tenant column \"org_id\" named by [Rls(TenantColumn)]: "
            + "add one whose [Column] name, snake_case name or name is that column."));

    [Test]
    public void Identifiers_postgres_would_reject_or_truncate_are_refused() =>
        Problems<BadIdentifiers>().ShouldBe(Message(
            $"{Prefix}BadIdentifiers: the table name \"{new string('t', 64)}\" is 64 bytes long; PostgreSQL identifiers are at most 63 bytes and longer ones are silently truncated.",
            $"{Prefix}BadIdentifiers: the schema name \"\" is empty; PostgreSQL identifiers need at least one character.",
            $"{Prefix}BadIdentifiers.Tenant: the column name \"ten\\0ant\" contains a NUL character, which PostgreSQL identifiers cannot hold."));

    [Test]
    public void Multibyte_names_are_measured_in_bytes() =>
        Problems<MultibyteName>().ShouldBe(Message(
            $"{Prefix}MultibyteName: the table name \"{new string('é', 32)}\" is 64 bytes long; PostgreSQL identifiers are at most 63 bytes and longer ones are silently truncated."));

    [Test]
    public void Two_classes_mapping_one_table_differently_are_refused() =>
        Problems(typeof(Invoice), typeof(ConflictingInvoice)).ShouldBe(Message(
            $"{Prefix}Invoice and {Prefix}ConflictingInvoice both map \"public\".\"invoice\", differently: "
            + $"tenant column \"tenant_id\" ({Prefix}Invoice.TenantId) vs \"tenant\" ({Prefix}ConflictingInvoice.Tenant); "
            + $"tenant type long ({Prefix}Invoice.TenantId) vs string ({Prefix}ConflictingInvoice.Tenant); "
            + $"SharedRows false ({Prefix}Invoice.TenantId) vs true ({Prefix}ConflictingInvoice.Tenant). "
            + "Map the table with one class, or make the classes agree."));

    [Test]
    public void Every_problem_of_every_type_is_listed_at_once() =>
        Problems(typeof(NoTenant), typeof(CustomerData), typeof(DecimalTenant), typeof(BothTenantProperties)).ShouldBe(
            "The [Rls] types cannot be turned into Row-Level Security policies (3 problems):" + Environment.NewLine
            + $"- {Prefix}NoTenant has no tenant property: add a property named Tenant or TenantId, or name the tenant column with [Rls(TenantColumn = \"...\")]." + Environment.NewLine
            + $"- {Prefix}DecimalTenant.Tenant is decimal?; a tenant property must be string, Guid, int, long or short (or a nullable one of them)." + Environment.NewLine
            + $"- {Prefix}BothTenantProperties has both Tenant and TenantId properties: choose the tenant column with [Rls(TenantColumn = \"...\")].");

    [Test]
    public void Adding_a_type_without_Rls_throws_at_once()
    {
        var ex = Should.Throw<ArgumentException>(() => new PolicyInstaller(_offline).Add<NotTagged>());

        ex.Message.ShouldStartWith($"{Prefix}NotTagged has no [Rls] attribute. Tag it with [Rls], or do not register it.");
        ex.ParamName.ShouldBe("type");
    }

    [Test]
    public void A_role_name_postgres_would_reject_is_refused()
    {
        var installer = new PolicyInstaller(_offline);

        Should.Throw<ArgumentException>(() => installer.GrantTo(string.Empty)).Message.ShouldStartWith("The role name \"\" is empty");
        Should.Throw<ArgumentException>(() => installer.GrantTo(new string('r', 64))).Message.ShouldContain("is 64 bytes long");
    }

    [Test]
    public void An_invalid_setting_name_is_refused() =>
        Should.Throw<ArgumentException>(() => new PolicyInstaller(_offline, new TenantOptions { SettingName = "no_dot" })).ParamName.ShouldBe("options");

    private static string Message(params string[] problems) =>
        $"The [Rls] types cannot be turned into Row-Level Security policies ({(problems.Length == 1 ? "1 problem" : problems.Length + " problems")}):"
        + string.Concat(problems.Select(p => Environment.NewLine + "- " + p));

    private string Problems<T>() => Problems(typeof(T));

    private string Problems(params Type[] types)
    {
        var installer = new PolicyInstaller(_offline);
        foreach (var type in types)
        {
            installer.Add(type);
        }

        return Should.Throw<RlsModelException>(() => installer.Script()).Message;
    }

    [Rls]
    public sealed class CustomerData
    {
        public string Tenant { get; set; } = string.Empty;
    }

    [Rls]
    public sealed class Invoice
    {
        public long TenantId { get; set; }
    }

    [Rls("invoice")]
    public sealed class InvoiceSummary
    {
        public long TenantId { get; set; }
    }

    [Rls("invoice", SharedRows = true)]
    public sealed class ConflictingInvoice
    {
        public string? Tenant { get; set; }
    }

    [Rls("ledger", SharedRows = true)]
    [Table("ignored")]
    public sealed class NamedByRls
    {
        public int? Tenant { get; set; }
    }

    [Rls]
    [Table("Payments", Schema = "billing")]
    public sealed class NamedByTable
    {
        public Guid Tenant { get; set; }
    }

    [Rls(Schema = "rls_schema")]
    [Table("table_name", Schema = "table_schema")]
    public sealed class SchemaOnRlsWins
    {
        public string Tenant { get; set; } = string.Empty;
    }

    [Rls]
    public sealed class ColumnAttributeNamesTenant
    {
        [Column("org")]
        public string Tenant { get; set; } = string.Empty;
    }

    [Rls(TenantColumn = "owner_org")]
    public sealed class ExplicitTenantColumn
    {
        public string OwnerOrg { get; set; } = string.Empty;
    }

    [Rls]
    public sealed class NullableGuidTenant
    {
        public Guid? TenantId { get; set; }
    }

    [Rls]
    public sealed class ShortTenant
    {
        public short Tenant { get; set; }
    }

    [Rls]
    public sealed class NoTenant
    {
        public int Id { get; set; }
    }

    [Rls]
    public sealed class BothTenantProperties
    {
        public string Tenant { get; set; } = string.Empty;

        public string TenantId { get; set; } = string.Empty;
    }

    [Rls]
    public sealed class DecimalTenant
    {
        public decimal? Tenant { get; set; }
    }

    [Rls(TenantColumn = "org_id")]
    public sealed class UnmappedTenantColumn
    {
        public string Tenant { get; set; } = string.Empty;
    }

    [Rls("tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt", Schema = "")]
    public sealed class BadIdentifiers
    {
        [Column("ten\0ant")]
        public string Tenant { get; set; } = string.Empty;
    }

    [Rls("éééééééééééééééééééééééééééééééé")]
    public sealed class MultibyteName
    {
        public string Tenant { get; set; } = string.Empty;
    }

    public sealed class NotTagged
    {
        public string Tenant { get; set; } = string.Empty;
    }
}
