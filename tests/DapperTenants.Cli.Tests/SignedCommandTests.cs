using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Cli.Tests;

/// <summary>
/// plan, apply and script with the signed context: the key from an environment variable or a file (never a
/// command-line value), its id, retirements, and the usage errors (exit 2) that keep a bad key from running anything.
/// </summary>
[Category(Categories.Database)]
public sealed class SignedCommandTests
{
    private const string Tables = """
        create table invoices (tenant text not null, id int not null, amount numeric(10,2) not null, primary key (tenant, id));
        create table projects (tenant_id text not null, id int not null, name text not null, primary key (tenant_id, id));
        """;

    /// <summary>The signing keys of the tests: 32 and 40 bytes.</summary>
    private static readonly byte[] Key = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    private static readonly byte[] OtherKey = [.. Enumerable.Range(101, 40).Select(i => (byte)i)];

    private static readonly string KeyHex = Convert.ToHexStringLower(Key);

    private readonly List<string> _variables = [];
    private readonly List<string> _files = [];

    [TearDown]
    public void RemoveVariablesAndFiles()
    {
        _variables.ForEach(v => Environment.SetEnvironmentVariable(v, null));
        _files.ForEach(File.Delete);
        _variables.Clear();
        _files.Clear();
    }

    [Test]
    public async Task Script_with_a_key_from_the_environment_prints_a_placeholder_not_the_key()
    {
        var run = await CliRun.RunAsync("script", "--assembly", CliRun.SampleAssembly, "--signing-key-env", Variable(KeyHex));

        run.ExitCode.ShouldBe(0, run.ToString());
        run.Out.ShouldContain("SELECT \"dapper_tenants\".\"install_signing_key\"('default', pg_catalog.decode(:'dapper_tenants_key_default', 'hex'));");
        run.Out.ShouldContain("(SELECT \"dapper_tenants\".\"tenant_of\"('dapper_tenants.tenant')::text)");
        run.Out.ShouldNotContain(KeyHex, Case.Insensitive);
    }

    [TestCase("hex")]
    [TestCase("base64")]
    [TestCase("base64url")]
    [TestCase("raw")]
    public async Task Script_reads_a_key_file_as_hex_base64_or_raw_bytes_and_includes_it_on_request(string format)
    {
        var key = format == "raw" ? [.. Key.Select(b => (byte)(b | 0x80))] : Key;
        var content = format switch
        {
            "hex" => System.Text.Encoding.ASCII.GetBytes(KeyHex + "\n"),
            "base64" => System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(key)),
            "base64url" => System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(key).TrimEnd('=').Replace('+', '-').Replace('/', '_')),
            _ => key,
        };

        var run = await CliRun.RunAsync("script", "--assembly", CliRun.SampleAssembly, "--signing-key-file", KeyFile(content),
            "--signing-key-id", "k1", "--include-signing-key");

        run.ExitCode.ShouldBe(0, run.ToString());
        run.Out.ShouldContain($"SELECT \"dapper_tenants\".\"install_signing_key\"('k1', pg_catalog.decode('{Convert.ToHexStringLower(key)}', 'hex'));");
    }

    [Test]
    public async Task Apply_installs_the_signed_context_and_a_second_plan_with_the_same_options_finds_no_drift()
    {
        await using var database = await TestServer.CreateDatabaseAsync("cli_signed");
        await database.ExecuteAsOwnerAsync(Tables);
        await database.ExecuteAsAdminAsync("insert into invoices values ('acme', 1, 10), ('globex', 2, 20)");
        string[] options = ["--assembly", CliRun.SampleAssembly, "--connection", database.OwnerConnectionString, "--grant-to", database.AppRole,
            "--signing-key-env", Variable(KeyHex)];

        var apply = await CliRun.RunAsync(["apply", .. options]);
        var plan = await CliRun.RunAsync(["plan", .. options]);

        apply.ExitCode.ShouldBe(0, apply.ToString());
        apply.Out.ShouldStartWith("2 [Rls] types in DapperTenants.Cli.Sample.dll: Invoice, Project (setting dapper_tenants.tenant, signed context with key default)");
        apply.Out.ShouldContain("signing key 'default' missing");
        (apply.Out + apply.Err).ShouldNotContain(KeyHex, Case.Insensitive);
        plan.ExitCode.ShouldBe(0, plan.ToString());
        plan.Out.ShouldContain("No drift: the database matches the [Rls] types.");
        await using var tenants = database.CreateTenantDataSource(configureOptions: o => o.SigningKey = Key);
        await using var acme = await tenants.OpenAsync("acme");
        (await acme.QueryAsync<int>("select id from invoices")).ShouldBe([1], "the application signs with the key apply installed");
    }

    [Test]
    public async Task Plan_shows_the_key_step_without_the_key_and_apply_retires_an_old_key()
    {
        await using var database = await TestServer.CreateDatabaseAsync("cli_signed_rotate");
        await database.ExecuteAsOwnerAsync(Tables);
        string[] common = ["--assembly", CliRun.SampleAssembly, "--connection", database.OwnerConnectionString, "--grant-to", database.AppRole];
        (await CliRun.RunAsync(["apply", .. common, "--signing-key-env", Variable(KeyHex)])).ExitCode.ShouldBe(0);
        string[] rotated = [.. common, "--signing-key-file", KeyFile(System.Text.Encoding.ASCII.GetBytes(Convert.ToHexStringLower(OtherKey))),
            "--signing-key-id", "k2"];

        var plan = await CliRun.RunAsync(["plan", .. rotated]);
        (await CliRun.RunAsync(["apply", .. rotated])).ExitCode.ShouldBe(0);
        var retire = await CliRun.RunAsync(["apply", .. rotated, "--retire-signing-key", "default"]);
        var after = await CliRun.RunAsync(["plan", .. rotated]);

        plan.ExitCode.ShouldBe(1, plan.ToString());
        plan.Out.ShouldContain("SELECT \"dapper_tenants\".\"install_signing_key\"('k2', $1); -- $1: the signing key, bound when applied and never printed");
        plan.Out.ShouldContain("warning: The signing key 'default' is installed but not given to UseSignedContext");
        plan.Out.ShouldNotContain(Convert.ToHexStringLower(OtherKey), Case.Insensitive);
        retire.ExitCode.ShouldBe(0, retire.ToString());
        retire.Out.ShouldContain("signing key 'default' retired");
        after.ExitCode.ShouldBe(0, after.ToString());
        after.Out.ShouldNotContain("warning:");
    }

    [Test]
    public async Task A_key_given_as_a_command_line_value_is_not_an_option()
    {
        var run = await CliRun.RunAsync("script", "--assembly", CliRun.SampleAssembly, "--signing-key", KeyHex);

        run.ExitCode.ShouldBe(2);
        run.Err.ShouldContain("error: Unrecognized command or argument '--signing-key'.");
        run.Out.ShouldBeEmpty();
    }

    [Test]
    public async Task Bad_signing_options_exit_2_with_the_reason_and_never_echo_the_key()
    {
        var unset = "DAPPER_TENANTS_TEST_UNSET_" + Guid.NewGuid().ToString("N");
        var shortKey = Variable(Convert.ToHexStringLower(new byte[16]));
        var notHex = Variable("this is not a key!");
        var file = KeyFile(new byte[20]);
        var good = Variable(KeyHex);
        (string[] Args, string Error)[] cases =
        [
            (["--signing-key-env", unset], $"--signing-key-env {unset}: the environment variable is not set or is empty."),
            (["--signing-key-env", shortKey], $"--signing-key-env {shortKey}: the key is 16 bytes; a signing key needs at least 32 (generate one with: openssl rand -hex 32)."),
            (["--signing-key-env", notHex], $"--signing-key-env {notHex}: the value is neither hex nor base64."),
            (["--signing-key-file", file], $"--signing-key-file {Path.GetFileName(file)}: the key is 20 bytes; a signing key needs at least 32 (generate one with: openssl rand -hex 32)."),
            (["--signing-key-env", good, "--signing-key-file", KeyFile(Key)], "--signing-key-env and --signing-key-file are two sources for one key: give one."),
            (["--signing-key-id", "k2"], "--signing-key-id names the key of --signing-key-env or --signing-key-file: give one of them too."),
            (["--include-signing-key"], "--include-signing-key writes the key of --signing-key-env or --signing-key-file into the script: give one of them too."),
            (["--signing-key-env", good, "--signing-key-id", "Key-2"], "--signing-key-id 'Key-2' is not a valid key id: use 1 to 32 lower case letters, digits and underscores, such as 'default' or 'k2026_05'."),
            (["--signing-key-env", good, "--retire-signing-key", "default"], "--retire-signing-key default is the key being installed: a key cannot be installed and retired at once."),
            (["--signing-key-file", "no/such/key"], "File does not exist: 'no/such/key'."),
        ];

        foreach (var (args, error) in cases)
        {
            var run = await CliRun.RunAsync(["script", "--assembly", CliRun.SampleAssembly, .. args]);
            run.ExitCode.ShouldBe(2, run.ToString());
            run.Err.ShouldContain("error: " + error, Case.Sensitive, run.ToString());
            run.Out.ShouldBeEmpty();
            run.Err.ShouldNotContain(KeyHex, Case.Insensitive);
        }
    }

    private string Variable(string value)
    {
        var name = "DAPPER_TENANTS_TEST_KEY_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, value);
        _variables.Add(name);
        return name;
    }

    private string KeyFile(byte[] content)
    {
        var path = Path.Combine(Path.GetTempPath(), "dapper-tenants-key-" + Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(path, content);
        _files.Add(path);
        return path;
    }
}
