package mock

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// itemSpec is the hand-written part of a seeded catalog item; the rest
// (slug, sizes, picture URL) is derived.
type itemSpec struct {
	brand, name, sku, colorway, nickname string
	gender                               string // men, women, unisex
	retail                               int64  // cents
	released                             string // YYYY-MM-DD
	sizes                                sizeChart
	pictures                             bool // requires listing pictures
	resellable                           bool
	productType                          string // sneakers (default), slides, boots
}

type sizeChart int

const (
	sizesMen   sizeChart = iota // US 4-13.5, halves: 20 sizes
	sizesWide                   // US 3.5-18: 27 sizes
	sizesWomen                  // US W 5-12, halves
	sizesEU                     // EU 36-47 with US equivalents
	sizesWhole                  // US 4-14, whole sizes (slides)
)

// flagshipID is the item with exactly the observed 241 pricing variants
// (20 sizes x 3 conditions x 4 packagings + one size-0 row).
const flagshipID = "dunk-low-black-white-dd1391-100"

var catalogSpecs = []itemSpec{
	{"Nike", "Dunk Low 'Black White'", "DD1391 100", "White/Black/White", "Panda", "men", 11000, "2021-03-10", sizesMen, false, true, ""},
	{"Nike", "Dunk Low 'Grey Fog'", "DD1391 103", "White/Grey Fog", "Grey Fog", "men", 11000, "2021-09-02", sizesMen, false, true, ""},
	{"Nike", "Dunk Low 'UNC'", "DD1391 102", "White/University Blue", "UNC", "men", 11000, "2021-06-24", sizesMen, false, true, ""},
	{"Nike", "Wmns Dunk Low 'Rose Whisper'", "DD1503 118", "White/Rose Whisper", "Rose Whisper", "women", 11000, "2022-04-02", sizesWomen, false, true, ""},
	{"Air Jordan", "Air Jordan 1 Retro High OG 'Chicago Lost & Found'", "DZ5485 612", "Varsity Red/Black/Sail/Muslin", "Lost & Found", "men", 18000, "2022-11-19", sizesWide, true, true, ""},
	{"Air Jordan", "Air Jordan 1 Retro High OG 'Shadow 2.0'", "555088 035", "Black/White/Light Smoke Grey", "Shadow 2.0", "men", 17000, "2021-05-15", sizesWide, true, true, ""},
	{"Air Jordan", "Air Jordan 4 Retro 'Black Cat' 2025", "FV5029 010", "Black/Black/Light Graphite", "Black Cat", "men", 21500, "2025-11-28", sizesMen, true, true, ""},
	{"Air Jordan", "Air Jordan 4 Retro 'Military Black'", "DH6927 111", "White/Black/Neutral Grey", "Military Black", "men", 19000, "2022-05-21", sizesMen, true, true, ""},
	{"Air Jordan", "Air Jordan 5 Retro 'Grape' 2025", "HQ7978 100", "White/New Emerald/Grape Ice/Black", "Grape", "men", 21000, "2025-06-21", sizesMen, false, true, ""},
	{"Air Jordan", "Air Jordan 3 Retro 'White Cement Reimagined'", "DN3707 100", "Summit White/Fire Red/Black/Cement Grey", "White Cement Reimagined", "men", 21000, "2023-03-11", sizesMen, true, true, ""},
	{"Air Jordan", "Air Jordan 11 Retro 'Gamma Blue'", "378037 006", "Black/Gamma Blue/Varsity Maize", "Gamma Blue", "men", 23000, "2024-12-14", sizesWide, true, true, ""},
	{"Air Jordan", "Travis Scott x Air Jordan 1 Low OG 'Reverse Mocha'", "DM7866 162", "Sail/University Red/Ridgerock", "Reverse Mocha", "men", 15000, "2022-07-21", sizesMen, true, false, ""},
	{"Nike", "Air Force 1 '07 'Triple White'", "CW2288 111", "White/White", "Triple White", "men", 11500, "2019-10-01", sizesWide, false, true, ""},
	{"Nike", "Supreme x Air Force 1 Low 'Box Logo - Black'", "CU9225 001", "Black/Black", "Supreme Black", "men", 12400, "2020-03-05", sizesMen, false, true, ""},
	{"Nike", "Air Max 1 '86 OG 'Big Bubble - Sport Red'", "DQ3989 100", "White/University Red/Neutral Grey", "Big Bubble Red", "men", 15000, "2023-03-26", sizesMen, false, true, ""},
	{"Nike", "Air Max 90 'Infrared' 2020", "CT1685 100", "White/Black/Cool Grey/Radiant Red", "Infrared", "men", 13000, "2020-03-26", sizesMen, false, true, ""},
	{"Nike", "Zoom Kobe 6 Protro 'Grinch'", "CW2190 300", "Green Apple/Volt/Crimson/Black", "Grinch", "men", 18000, "2020-12-24", sizesWide, true, true, ""},
	{"Nike", "Travis Scott x SB Dunk Low 'Cactus Jack'", "CT5053 001", "Multi-Color/Black/Parachute Beige", "Cactus Jack", "men", 15000, "2020-02-29", sizesMen, true, true, ""},
	{"Nike", "Wmns Zoom Vomero 5 'Photon Dust'", "FB8825 001", "Photon Dust/Metallic Silver/Grey Fog", "Photon Dust", "women", 16000, "2023-10-05", sizesWomen, false, true, ""},
	{"adidas", "Yeezy Boost 350 V2 'Zebra'", "CP9654", "White/Core Black/Red", "Zebra", "unisex", 23000, "2017-02-25", sizesWide, false, true, ""},
	{"adidas", "Yeezy Slide 'Onyx'", "HQ6448", "Onyx/Onyx/Onyx", "Onyx", "unisex", 7000, "2022-03-07", sizesWhole, false, true, "slides"},
	{"adidas", "Samba OG 'White Black Gum'", "B75806", "Cloud White/Core Black/Clear Granite", "White Black Gum", "unisex", 10000, "2018-01-01", sizesMen, false, true, ""},
	{"adidas", "Gazelle Indoor 'Blue Fusion Gum'", "JI2060", "Blue Fusion/Cloud White/Gum", "Blue Fusion", "unisex", 12000, "2024-03-01", sizesMen, false, true, ""},
	{"adidas", "Campus 00s 'Core Black'", "HQ8708", "Core Black/Cloud White/Off White", "Core Black", "unisex", 11000, "2023-01-12", sizesMen, false, true, ""},
	{"New Balance", "550 'White Green'", "BB550WT1", "White/Green", "White Green", "men", 11000, "2021-02-01", sizesWide, false, true, ""},
	{"New Balance", "990v6 Made in USA 'Grey'", "M990GL6", "Grey/White", "Grey", "men", 20000, "2023-04-20", sizesWide, false, true, ""},
	{"New Balance", "9060 'Rain Cloud'", "U9060GRY", "Rain Cloud/Castlerock/Grey", "Rain Cloud", "unisex", 15000, "2022-08-05", sizesMen, false, true, ""},
	{"New Balance", "2002R 'Protection Pack - Rain Cloud'", "M2002RDA", "Rain Cloud/Grey", "Protection Pack Rain Cloud", "men", 15000, "2021-04-01", sizesMen, false, true, ""},
	{"ASICS", "Gel-Kayano 14 'Cream Black'", "1201A019 108", "Cream/Black", "Cream Black", "men", 15000, "2022-09-01", sizesMen, false, true, ""},
	{"ASICS", "Gel-1130 'White Clay Canyon'", "1201A256 110", "White/Clay Canyon", "Clay Canyon", "unisex", 11000, "2023-06-15", sizesMen, false, true, ""},
	{"Salomon", "XT-6 'Black Phantom'", "L41086600", "Black/Black/Phantom", "Black Phantom", "unisex", 20000, "2021-01-15", sizesEU, false, true, ""},
	{"Converse", "Chuck 70 Hi 'Black'", "162050C", "Black/Black/Egret", "Black", "unisex", 8500, "2018-06-01", sizesMen, false, true, ""},
	{"Vans", "Old Skool 'Black White'", "VN000D3HY28", "Black/White", "Black White", "unisex", 7000, "2016-01-01", sizesEU, false, true, ""},
	{"UGG", "Wmns Tasman Slipper 'Chestnut'", "5955 CHE", "Chestnut", "Chestnut", "women", 11000, "2019-09-01", sizesWomen, false, true, "boots"},
	{"Nike", "Off-White x Air Jordan 1 Retro High OG 'Chicago'", "AA3834 101", "White/Black/Varsity Red", "The Ten", "men", 19000, "2017-09-09", sizesMen, true, false, ""},
	{"Nike", "Kobe 8 Protro 'Halo'", "FJ9364 100", "White/White/White", "Halo", "men", 18000, "2024-08-23", sizesWide, true, true, ""},
}

// euChart maps EU sizes to US men's equivalents.
var euChart = []struct {
	eu, us float64
}{
	{36, 4}, {36.5, 4.5}, {37.5, 5}, {38, 5.5}, {38.5, 6}, {39, 6.5}, {40, 7}, {40.5, 7.5},
	{41, 8}, {42, 8.5}, {42.5, 9}, {43, 9.5}, {44, 10}, {44.5, 10.5}, {45, 11}, {45.5, 11.5},
	{46, 12}, {47, 13},
}

func sizesFor(c sizeChart) (unit string, sizes []allowedSize) {
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	span := func(lo, hi, step float64, suffix string) {
		for v := lo; v <= hi+1e-9; v += step {
			sizes = append(sizes, allowedSize{DisplayName: num(v) + suffix, Value: v, USSizeEquivalent: v})
		}
	}
	switch c {
	case sizesWide:
		span(3.5, 18, 0.5, "")
	case sizesWomen:
		span(5, 12, 0.5, "W")
	case sizesEU:
		for _, s := range euChart {
			sizes = append(sizes, allowedSize{DisplayName: "EU " + num(s.eu), Value: s.eu, USSizeEquivalent: s.us})
		}
		return "SIZE_UNIT_EU", sizes
	case sizesWhole:
		span(4, 14, 1, "")
	default:
		span(4, 13.5, 0.5, "")
	}
	return "SIZE_UNIT_US", sizes
}

// slug builds a catalog id the way the API's look: lower-case words of the
// name plus the style code, dashed.
func slug(name, sku string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name + " " + sku) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case r == '\'' || r == '.':
			// dropped: "'07" -> "07", "2.0" -> "20"
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	return strings.Trim(b.String(), "-")
}

// buildCatalog derives the catalog; it is the same for every seed. Prices
// and market data vary with the seed instead.
func buildCatalog() []*catalogItem {
	out := make([]*catalogItem, 0, len(catalogSpecs))
	for i, s := range catalogSpecs {
		unit, sizes := sizesFor(s.sizes)
		released, err := time.Parse("2006-01-02", s.released)
		if err != nil {
			panic("mock: catalog release date " + s.released)
		}
		id := slug(strings.TrimPrefix(strings.TrimPrefix(s.name, "Wmns "), "Air Jordan "), s.sku)
		if s.brand == "Air Jordan" {
			id = slug(s.name, s.sku)
		}
		pt := s.productType
		if pt == "" {
			pt = "sneakers"
		}
		item := &catalogItem{
			CatalogID: id, Name: s.name, SKU: s.sku, Brand: s.brand, Gender: s.gender,
			ReleaseDate:     at(released.Add(23*time.Hour + 59*time.Minute + 59*time.Second + 999*time.Millisecond)),
			ProductCategory: "PRODUCT_CATEGORY_SHOES", ProductCategoryV2: "shoes", ProductType: pt,
			SizeUnit: unit, AllowedSizes: sizes,
			MinimumListingPriceCents: 2500, MaximumListingPriceCents: 200000,
			MainPictureURL:   fmt.Sprintf("https://image.goat.com/750/attachments/product_template_pictures/images/%03d/%03d/%03d/original/%s.png", 80+i, 100+i*7%900, 300+i*13%700, strings.ReplaceAll(s.sku, " ", "_")),
			RetailPriceCents: s.retail, Colorway: s.colorway, Nickname: s.nickname,
			RequiresListingPictures: s.pictures, Resellable: s.resellable,
			RequestedPictures: []requestedPicture{},
		}
		if s.pictures {
			item.RequestedPictures = []requestedPicture{
				{Type: "PICTURE_TYPE_OUTER", Quantity: 1},
				{Type: "PICTURE_TYPE_SIZE_TAG", Quantity: 1},
				{Type: "PICTURE_TYPE_EXTRA", Quantity: 2},
			}
		}
		out = append(out, item)
	}
	return out
}
