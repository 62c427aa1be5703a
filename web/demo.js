// The demo page's own script; kept out of the HTML so the page runs under a strict Content-Security-Policy.
// ?lang=zh|en shows the page (and the widget, which follows <html lang>) in that language.
(function () {
  var lang = new URLSearchParams(location.search).get('lang');
  if (lang === 'zh' || lang === 'en' || lang === 'sv') document.documentElement.lang = lang;
})();
document.addEventListener('DOMContentLoaded', function () {
  (function () {
    var T = {
      zh: {
        title: '国际商务：克鲁努贝里与苏州 | Region Kronoberg（演示）',
        skip: '跳到正文', demo: 'kinabot 聊天助手演示页面，并非官方网站。', navLabel: '主菜单',
        nav1: '医疗与健康', nav2: '公共交通', nav3: '文化', nav4: '地区发展', nav5: '国际合作',
        crumbsLabel: '当前位置', crumb1: '首页', crumb2: '地区发展', crumb3: '国际合作', crumb4: '对华商务',
        h1: '国际商务：克鲁努贝里与苏州',
        lead: '克鲁努贝里与中国苏州市有着长期的合作关系。本页面为本地区企业和来自中国的投资者提供初步介绍，您也可以向我们的数字助手提问。',
        s1h: '始于世博会的合作',
        s1p1: '双方的合作始于2010年上海世博会。当时本地区以注重环境技术的可持续发展地区形象亮相，同年与长江三角洲工业最密集的城市之一苏州签署了合作协议。',
        s1p2: '此后，双方在商业、教育和文化领域不断加强联系，目标是帮助两地企业找到客户、供应商和合作伙伴。',
        s2h: '在中国开展业务',
        s2p1: '计划在中国销售的企业需要提前做好准备：及时注册商标，了解认证和海关规定，并找到合适的合作伙伴。相关要求会不断变化，请务必向主管部门核实最新信息。',
        factsH: '须知', f1: '中国实行商标申请在先原则，谁先申请谁就获得商标权。',
        f2: '瑞典的有限公司在瑞典公司注册局（Bolagsverket）登记，通常通过 verksamt.se 办理。',
        f3: '苏州与上海之间的高铁车程约半小时。',
        s3h: '投资克鲁努贝里',
        s3p1: '对中国投资者而言，克鲁努贝里拥有强大的产业集群，毗邻林奈大学，铁路和航空交通便利。我们的资料提供瑞典语、中文和英语版本。',
        s4h: '向助手提问',
        s4p1: '助手根据本地区的文件，用瑞典语、中文或英语回答问题，并始终注明答案出处。如果没有可靠的答案，它会如实说明，并告诉您可以联系谁。',
        asideH: '有问题吗？', asideP: '点击右下角打开对话，或点击这里。', asideBtn: '打开对话',
        relH: '相关内容', rel1: '与苏州的合作', rel2: '在瑞典创办企业', rel3: '企业出口支持',
        footP1: '这是 kinabot 聊天组件的演示页面。页面文字仅为示例，并非 Region Kronoberg 的官方信息。',
        footLink: '访问 regionkronoberg.se', footH2: '关于本网站', footA1: '无障碍说明', footA2: '个人信息处理',
        footH3: '聊天助手', footP2: '助手不会在您的浏览器中保存 Cookie 或任何数据。'
      },
      en: {
        title: 'International business – Kronoberg and Suzhou | Region Kronoberg (demo)',
        skip: 'Skip to content', demo: 'Demo page for the kinabot chat assistant – not an official page.',
        navLabel: 'Main menu', nav1: 'Health care', nav2: 'Public transport', nav3: 'Culture',
        nav4: 'Regional development', nav5: 'International', crumbsLabel: 'You are here', crumb1: 'Home',
        crumb2: 'Regional development', crumb3: 'International', crumb4: 'Business with China',
        h1: 'International business: Kronoberg and Suzhou',
        lead: 'Kronoberg has a long-standing cooperation with the city of Suzhou in China. This page gives companies in the region and investors from China a first orientation, and lets them put their questions to our digital assistant.',
        s1h: 'A cooperation since the World Expo',
        s1p1: 'The cooperation took shape around the 2010 World Expo in Shanghai, where the region presented itself as a sustainable region focused on environmental technology. The same year a cooperation agreement was signed with Suzhou, one of the most industrialised cities of the Yangtze delta.',
        s1p2: 'Since then the contacts have covered business, education and culture. The aim is for companies on both sides to find customers, suppliers and partners.',
        s2h: 'Doing business in China',
        s2p1: 'Anyone who wants to sell in China needs to prepare: register the trademark in time, understand the rules for certification and customs, and find the right partner. Requirements change, so always check current details with the responsible authority.',
        factsH: 'Good to know', f1: 'China applies the principle that whoever files for a trademark first gets the right to it.',
        f2: 'A Swedish limited company is registered with the Swedish Companies Registration Office (Bolagsverket), usually through verksamt.se.',
        f3: 'The high-speed train between Suzhou and Shanghai takes about half an hour.',
        s3h: 'Investing in Kronoberg',
        s3p1: 'For Chinese investors, Kronoberg offers a strong industrial cluster, closeness to Linnaeus University and good rail and air connections. Our documents are available in Swedish, Chinese and English.',
        s4h: 'Ask the assistant',
        s4p1: 'The assistant answers in Swedish, Chinese or English from the region\u2019s documents and always shows where the answer comes from. When it has no reliable answer, it says so and points you to a person.',
        asideH: 'Have a question?', asideP: 'Open the chat in the corner, or click here.', asideBtn: 'Open the chat',
        relH: 'Related', rel1: 'The cooperation with Suzhou', rel2: 'Starting a company in Sweden', rel3: 'Export support for companies',
        footP1: 'This is a demonstration page for the kinabot chat widget. The texts are examples, not official information from Region Kronoberg.',
        footLink: 'Go to regionkronoberg.se', footH2: 'About this website', footA1: 'Accessibility', footA2: 'Personal data',
        footH3: 'The chat assistant', footP2: 'The assistant stores no cookies and nothing in your browser.'
      }
    };
    var lang = document.documentElement.lang;
    var t = T[lang];
    if (t) {
      document.title = t.title;
      document.querySelectorAll('[data-i18n]').forEach(function (node) {
        var v = t[node.getAttribute('data-i18n')];
        if (v) node.textContent = v;
      });
      document.querySelectorAll('[data-i18n-label]').forEach(function (node) {
        var v = t[node.getAttribute('data-i18n-label')];
        if (v) node.setAttribute('aria-label', v);
      });
    }
    document.querySelectorAll('#langs a').forEach(function (a) {
      if (a.getAttribute('data-lang') === lang) a.setAttribute('aria-current', 'true');
    });
    document.getElementById('open-chat').addEventListener('click', function () {
      customElements.whenDefined('kinabot-chat').then(function () {
        var chat = document.querySelector('kinabot-chat');
        if (chat) chat.open();
      });
    });
  })();
});
