/**
 * The most common passwords of public breach corpora (a short, shipped list; NIST SP 800-63B
 * asks verifiers to refuse passwords found in such lists). Only entries of 8+ characters matter,
 * since shorter ones already fail the length rule.
 */
export const COMMON_PASSWORDS: readonly string[] = [
  '12345678', '123456789', '1234567890', '12345678910', '123123123', '11111111', '00000000',
  '88888888', '87654321', '11223344', '12341234', '123qweasd', '1q2w3e4r', '1q2w3e4r5t',
  '1qaz2wsx', 'qwertyuiop', 'qwerty123', 'qwerty12', 'qwertyui', 'qwer1234', 'asdfghjkl',
  'asdf1234', 'zxcvbnm123', 'password', 'password1', 'password12', 'password123', 'password!',
  'passw0rd', 'p@ssw0rd', 'p@ssword', 'passwort', 'motdepasse', 'contraseña', 'iloveyou',
  'iloveyou1', 'sunshine', 'princess', 'football', 'baseball', 'welcome1', 'welcome123',
  'abc12345', 'abcd1234', 'abcdefgh', 'admin123', 'administrator', 'letmein1', 'letmein123',
  'trustno1', 'superman', 'starwars', 'whatever', 'computer', 'internet', 'michelle',
  'jennifer', 'jordan23', 'liverpool', 'chelsea1', 'arsenal1', 'basketball', 'butterfly',
  'charlie1', 'cocacola', 'dragon123', 'elephant', 'fuckyou1', 'hello123', 'hellokitty',
  'changeme', 'changeme123', 'default1', 'master123', 'monkey123', 'mustang1', 'naruto123',
  'nicole123', 'pakistan', 'pokemon123', 'samsung1', 'secret123', 'shadow12', 'soccer12',
  'summer2024', 'summer2025', 'summer2026', 'winter2025', 'winter2026', 'spring2026',
  'autumn2026', 'test1234', 'testtest', 'q1w2e3r4', 'q1w2e3r4t5', 'zaq12wsx', 'zaq1zaq1',
  'aa123456', 'a1234567', 'a12345678', 'aaaaaaaa', 'qqqqqqqq', 'loveyou1', 'lovely123',
  'daniel123', 'michael1', 'jessica1', 'ashley123', 'thomas123', 'freedom1', 'batman123',
  'matrix123', 'access14', 'computer1', 'football1', 'baseball1', 'princess1', 'sunshine1',
  'iloveyou2', 'qwerty1234', '1234qwer', '123456789a', 'a123456789', '147258369', '987654321',
  '123654789', '159753456', '741852963', '1234abcd', 'abc123456', 'blink182', 'cheese123',
  'chocolate', 'computer123', 'corvette', 'dolphins', 'firebird', 'fishing1', 'gateway1',
  'ginger12', 'guitar12', 'hunter12', 'jasmine1', 'killer12', 'maverick', 'mercedes',
  'midnight', 'mickey12', 'mountain', 'november', 'passpass', 'peaches1', 'qazwsx123',
  'rainbow1', 'scorpion', 'serenity', 'silver12', 'slipknot', 'snoopy12', 'spiderman',
  'sunflower', 'thunder1', 'tigger12', 'victoria', 'whatever1', 'yankees1', 'zxcvbnm1',
];
