namespace DapperTenants.Benchmarks.Infrastructure;

/// <summary>The five statements of scenario 2's unit of work against one set of tables.</summary>
internal sealed record UnitOfWorkSql(string Order, string Customer, string Recent, string Pay, string Credit)
{
    /// <summary>The tables without RLS: every statement names the tenant (<c>@Tenant</c>).</summary>
    public static readonly UnitOfWorkSql Plain = new(
        "select id, tenant, customer_id as CustomerId, total, created_at as CreatedAt from orders_plain where tenant = @Tenant and id = @Id",
        "select id, name, balance from customers_plain where tenant = @Tenant and id = @Id",
        "select id, total from orders_plain where tenant = @Tenant order by id desc limit 5",
        "insert into payments_plain (tenant, order_id, amount) values (@Tenant, @OrderId, @Amount)",
        "update customers_plain set balance = balance + @Amount where tenant = @Tenant and id = @Id");

    /// <summary>The tables under the setting's policy: no statement names the tenant.</summary>
    public static readonly UnitOfWorkSql Policy = Rls("orders", "customers", "payments");

    /// <summary>The signed context's tables (<see cref="SignedBench"/>).</summary>
    public static readonly UnitOfWorkSql Signed = Rls("signed_orders", "signed_customers", "signed_payments");

    /// <summary>The role-per-tenant tables, whose policies compare the tenant with <c>current_user</c>.</summary>
    public static readonly UnitOfWorkSql ByRole = Rls("orders_by_role", "customers_by_role", "payments_by_role");

    private static UnitOfWorkSql Rls(string orders, string customers, string payments) => new(
        $"select id, tenant, customer_id as CustomerId, total, created_at as CreatedAt from {orders} where id = @Id",
        $"select id, name, balance from {customers} where id = @Id",
        $"select id, total from {orders} order by id desc limit 5",
        $"insert into {payments} (order_id, amount) values (@OrderId, @Amount)",
        $"update {customers} set balance = balance + @Amount where id = @Id");
}
