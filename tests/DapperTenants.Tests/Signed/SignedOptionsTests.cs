using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Signed;

/// <summary>The signed context's options and installer arguments: defaults, copies, and exact messages for bad values. No database.</summary>
[Category(Categories.Unit)]
public sealed class SignedOptionsTests
{
    [Test]
    public void The_defaults_are_unsigned_key_id_default_and_five_minute_tokens()
    {
        var options = new TenantOptions();

        options.SigningKey.ShouldBeNull();
        options.SigningKeyId.ShouldBe("default");
        options.SigningTokenLifetime.ShouldBe(TimeSpan.FromMinutes(5));
    }

    [Test]
    public void A_data_source_refuses_a_key_shorter_than_32_bytes_naming_the_fix()
    {
        var ex = Should.Throw<ArgumentException>(() => TenantDataSource.Create("Host=localhost", o => o.SigningKey = new byte[16]));

        ex.Message.ShouldBe(
            "TenantOptions.SigningKey is 16 bytes; a signing key needs at least 32 bytes (256 bits). Generate one with RandomNumberGenerator.GetBytes(32), "
            + "keep it in a secret store, and give the same key to TenantOptions.SigningKey and PolicyInstaller.UseSignedContext. (Parameter 'configure')");
    }

    [TestCase("")]
    [TestCase("Default")]
    [TestCase("key-1")]
    [TestCase("k.1")]
    [TestCase("123456789012345678901234567890123")]
    public void A_data_source_refuses_a_key_id_outside_its_alphabet(string keyId)
    {
        var ex = Should.Throw<ArgumentException>(() => TenantDataSource.Create("Host=localhost", o => o.SigningKeyId = keyId));

        ex.Message.ShouldBe($"TenantOptions.SigningKeyId '{keyId}' is not valid: use 1 to 32 lower case letters, digits and underscores, "
            + "such as 'default' or 'k2026_05'. (Parameter 'configure')");
    }

    [TestCase(9)]
    [TestCase(86401)]
    public void A_data_source_refuses_a_token_lifetime_outside_10_seconds_to_a_day(int seconds)
    {
        var lifetime = TimeSpan.FromSeconds(seconds);

        var ex = Should.Throw<ArgumentException>(() => TenantDataSource.Create("Host=localhost", o => o.SigningTokenLifetime = lifetime));

        ex.Message.ShouldBe($"TenantOptions.SigningTokenLifetime is {lifetime:c}; it must be between 10 seconds and 1 day. (Parameter 'configure')");
    }

    [Test]
    public void A_data_source_keeps_its_own_copy_of_the_key()
    {
        var key = SignedDatabase.Key.ToArray();
        using var source = TenantDataSource.Create("Host=localhost", o => o.SigningKey = key);

        key[0] ^= 0xff;

        source.Options.SigningKey.ShouldBe(SignedDatabase.Key);
    }

    [Test]
    public void UseSignedContext_refuses_a_short_key_and_a_bad_key_id_with_the_fix()
    {
        using var offline = NpgsqlDataSource.Create("Host=localhost");
        var installer = new PolicyInstaller(offline);

        Should.Throw<ArgumentException>(() => installer.UseSignedContext(new byte[31])).Message.ShouldBe(
            "The signing key is 31 bytes; a signing key needs at least 32 bytes (256 bits). Generate one with RandomNumberGenerator.GetBytes(32), "
            + "keep it in a secret store, and give the same key to TenantOptions.SigningKey and PolicyInstaller.UseSignedContext. (Parameter 'key')");
        Should.Throw<ArgumentException>(() => installer.UseSignedContext(SignedDatabase.Key, "no way")).Message.ShouldBe(
            "The signing key id 'no way' is not valid: use 1 to 32 lower case letters, digits and underscores, such as 'default' or 'k2026_05'. (Parameter 'keyId')");
        Should.Throw<ArgumentNullException>(() => installer.UseSignedContext(null!));
    }

    [Test]
    public void A_key_id_cannot_be_given_twice_with_different_keys_nor_be_installed_and_retired()
    {
        using var offline = NpgsqlDataSource.Create("Host=localhost");
        var installer = new PolicyInstaller(offline).UseSignedContext(SignedDatabase.Key, "k1").UseSignedContext(SignedDatabase.Key, "k1").RetireSigningKey("k0");

        Should.Throw<ArgumentException>(() => installer.UseSignedContext(SignedDatabase.OtherKey, "k1")).Message.ShouldBe(
            "The signing key id 'k1' was given twice with different keys. Give each key its own id. (Parameter 'keyId')");
        Should.Throw<ArgumentException>(() => installer.RetireSigningKey("k1")).Message.ShouldBe(
            "The signing key id 'k1' is given to UseSignedContext: a key cannot be installed and retired at once. (Parameter 'keyId')");
        Should.Throw<ArgumentException>(() => installer.UseSignedContext(SignedDatabase.Key, "k0")).Message.ShouldBe(
            "The signing key id 'k0' is also given to RetireSigningKey: a key cannot be installed and retired at once. (Parameter 'keyId')");
    }

    [Test]
    public void UseSignedContext_copies_the_key()
    {
        using var offline = NpgsqlDataSource.Create("Host=localhost");
        var key = SignedDatabase.Key.ToArray();
        var installer = new PolicyInstaller(offline).Add<SignedOrder>().UseSignedContext(key);

        key[0] ^= 0xff;

        installer.Script(includeSigningKeys: true).ShouldContain(Convert.ToHexStringLower(SignedDatabase.Key));
    }
}
